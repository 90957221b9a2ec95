// Sign-up: preselect the timezone this device reports, when the person has not chosen one yet.
(function () {
  "use strict";
  var select = document.getElementById("id_timezone");
  if (!select || select.dataset.touched || !window.Intl) { return; }
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && select.value === "UTC" && select.querySelector('option[value="' + zone + '"]')) {
    select.value = zone;
  }
})();
