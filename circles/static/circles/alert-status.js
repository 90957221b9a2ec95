// Keeps the member's alert page current: fetches the "who has been asked" part every few seconds
// while the alert is open and swaps it in when it changed. Without JavaScript, reloading the page
// shows the same thing.
(function () {
  "use strict";
  var box = document.getElementById("alert-status");
  if (!box || !box.dataset.open) { return; }
  var url = box.dataset.statusUrl;
  var every = 4000;
  var stopAfter = Date.now() + 6 * 60 * 60 * 1000;

  function refresh() {
    if (Date.now() > stopAfter) { return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null && html.trim() !== box.innerHTML.trim()) { box.innerHTML = html; }
      })
      .catch(function () { /* offline for a moment: try again next time */ })
      .then(function () { window.setTimeout(refresh, every); });
  }
  window.setTimeout(refresh, every);
})();
