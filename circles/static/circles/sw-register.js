// Registers Circles' service worker (/sw.js) on every page, so the crisis lines are kept for when there
// is no connection and push notifications can be shown (docs/install.md). Pages work the same without it.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) { return; }
  var script = document.currentScript;
  var worker = (script && script.dataset.worker) || "/sw.js";
  function register() {
    navigator.serviceWorker.register(worker, { scope: "/" }).catch(function () {
      // No worker (a private window, a browser setting): everything but the offline page still works.
    });
  }
  if (document.readyState === "complete") {
    register();
  } else {
    window.addEventListener("load", register);
  }
})();
