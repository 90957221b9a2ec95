// Keeps the member's alert page current: fetches the "who has been asked" part every few seconds
// while the alert is open and brings it up to date when it changed. Without JavaScript, reloading the
// page shows the same thing.
(function () {
  "use strict";
  var box = document.getElementById("alert-status");
  if (!box || !box.dataset.open) { return; }
  var url = box.dataset.statusUrl;
  var every = 4000;
  var stopAfter = Date.now() + 6 * 60 * 60 * 1000;

  // Changes `old` to look like `fresh` but keeps the elements themselves (down to `depth` levels) where
  // they match: a live region that is replaced rather than changed is often not announced by screen
  // readers, and a replaced scroll box would drop keyboard focus.
  function update(old, fresh, depth) {
    if (old.innerHTML.trim() === fresh.innerHTML.trim()) { return; }
    var olds = old.children, news = fresh.children;
    if (depth === 0 || olds.length === 0 || olds.length !== news.length) {
      old.innerHTML = fresh.innerHTML;
      return;
    }
    for (var i = 0; i < news.length; i++) {
      if (olds[i].tagName === news[i].tagName && olds[i].className === news[i].className) {
        update(olds[i], news[i], depth - 1);
      } else {
        olds[i].replaceWith(news[i].cloneNode(true));
      }
    }
  }

  function refresh() {
    if (Date.now() > stopAfter) { return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var fresh = document.createElement("div");
        fresh.innerHTML = html;
        update(box, fresh, 2);  // #alert-status > section > (heading, status line, table)
        if (fresh.querySelector("[data-final]")) { stopAfter = 0; }  // closed: nothing more will change
      })
      .catch(function () { /* offline for a moment: try again next time */ })
      .then(function () { window.setTimeout(refresh, every); });
  }
  window.setTimeout(refresh, every);
})();
