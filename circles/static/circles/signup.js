// Sign-up: preselect the timezone this device reports. The server marks the field only on a fresh form,
// so a choice the person made (and the page shows again after an error) is never replaced.
(function () {
  "use strict";
  var select = document.getElementById("id_timezone");
  if (!select || !select.hasAttribute("data-from-device") || !window.Intl) { return; }
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) { return; }
  for (var i = 0; i < select.options.length; i++) {
    if (select.options[i].value === zone) {
      select.selectedIndex = i;
      return;
    }
  }
})();
