// The install page's button: shown only when the browser offers to install Circles (the
// `beforeinstallprompt` event, Chromium browsers); elsewhere the written steps on the page do the job.
(function () {
  "use strict";
  var offer = document.getElementById("install-offer");
  var button = document.getElementById("install-button");
  var done = document.getElementById("install-done");
  if (!offer || !button || !done) { return; }
  var prompt = null;

  function installed() {
    offer.hidden = true;
    done.hidden = false;
  }

  if (window.matchMedia && window.matchMedia("(display-mode: standalone)").matches) {
    installed();
    return;
  }

  window.addEventListener("beforeinstallprompt", function (event) {
    event.preventDefault();  // our button asks, when the person chooses to
    prompt = event;
    offer.hidden = false;
  });

  button.addEventListener("click", function () {
    if (!prompt) { return; }
    var asked = prompt;
    prompt = null;
    asked.prompt();
    asked.userChoice.then(function (choice) {
      if (choice.outcome === "accepted") {
        installed();
      } else {
        offer.hidden = true;
      }
    });
  });

  window.addEventListener("appinstalled", installed);
})();
