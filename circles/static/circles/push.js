// Settings: "Turn on notifications on this device". Asks the browser's permission, subscribes with the
// site's VAPID public key through the service worker that /sw.js registers (navigator.serviceWorker.ready;
// this script registers none of its own) and posts the subscription to /accounts/push/. Without
// JavaScript (the paragraph this script hides) or without push support the page says so instead.
(function () {
  "use strict";
  var box = document.querySelector(".push-subscribe");
  if (!box) { return; }
  box.querySelector(".push-needs-script").hidden = true; // shown to browsers that never run this
  var button = box.querySelector(".push-button");
  var status = box.querySelector(".push-status");
  var supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  if (!supported) {
    box.querySelector(".push-unsupported").hidden = false;
    return;
  }
  if (Notification.permission === "denied") {
    box.querySelector(".push-denied").hidden = false;
    return;
  }
  button.hidden = false;

  function keyBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    base64 += "====".slice(0, (4 - base64.length % 4) % 4);
    var raw = window.atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function sameKey(buffer, bytes) {
    if (!buffer) { return false; }
    var held = new Uint8Array(buffer);
    if (held.length !== bytes.length) { return false; }
    for (var i = 0; i < held.length; i++) { if (held[i] !== bytes[i]) { return false; } }
    return true;
  }

  // A short name for the list of devices, from what the browser says about itself.
  function deviceLabel() {
    var agent = navigator.userAgent;
    var browser = /Edg\//.test(agent) ? "Edge" : /Firefox\//.test(agent) ? "Firefox"
      : /Chrome\//.test(agent) ? "Chrome" : /Safari\//.test(agent) ? "Safari" : "Browser";
    var system = /Android/.test(agent) ? "Android" : /iPhone|iPad/.test(agent) ? "iOS"
      : /Windows/.test(agent) ? "Windows" : /Mac OS X/.test(agent) ? "macOS"
      : /Linux/.test(agent) ? "Linux" : "";
    return system ? browser + " · " + system : browser;
  }

  function workerReady() {
    // The service worker may be missing (a private window that refuses it): do not wait for ever.
    return Promise.race([
      navigator.serviceWorker.ready,
      new Promise(function (resolve, reject) {
        window.setTimeout(function () { reject(new Error("no service worker")); }, 15000);
      })
    ]);
  }

  // A browser whose push service cannot be reached never answers subscribe(): give up after a while.
  function within(promise, milliseconds) {
    return Promise.race([
      promise,
      new Promise(function (resolve, reject) {
        window.setTimeout(function () { reject(new Error("no answer")); }, milliseconds);
      })
    ]);
  }

  function subscribe(registration, key) {
    var options = { userVisibleOnly: true, applicationServerKey: key };
    return registration.pushManager.getSubscription().then(function (existing) {
      if (!existing) { return registration.pushManager.subscribe(options); }
      if (sameKey(existing.options && existing.options.applicationServerKey, key)) { return existing; }
      // Subscribed with an older key (the site's keys were replaced): start again with this one.
      return existing.unsubscribe().then(function () {
        return registration.pushManager.subscribe(options);
      });
    });
  }

  button.addEventListener("click", function () {
    var key = keyBytes(box.getAttribute("data-push-key"));
    button.disabled = true;
    status.textContent = status.getAttribute("data-working");
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { throw new Error("permission " + permission); }
      return workerReady();
    }).then(function (registration) {
      return within(subscribe(registration, key), 20000);
    }).then(function (subscription) {
      var body = subscription.toJSON();
      body.label = deviceLabel();
      return fetch(box.getAttribute("data-push-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": box.getAttribute("data-csrf") },
        body: JSON.stringify(body)
      });
    }).then(function (response) {
      if (!response.ok) { throw new Error("refused: " + response.status); }
      status.textContent = status.getAttribute("data-done");
      window.location.reload(); // the list of devices now shows this one
    }).catch(function (error) {
      button.disabled = false;
      if (Notification.permission === "denied") {
        button.hidden = true;
        status.textContent = "";
        box.querySelector(".push-denied").hidden = false;
      } else if (error && error.message === "no answer") {
        status.textContent = status.getAttribute("data-unreachable");
      } else if (error && (error.name === "AbortError" || error.name === "NotAllowedError" ||
                           error.name === "NotSupportedError")) {
        // Refused by the browser itself (e.g. Chrome's private windows have no push): retrying cannot help.
        button.hidden = true;
        status.textContent = status.getAttribute("data-refused");
      } else {
        status.textContent = status.getAttribute("data-failed");
      }
    });
  });
})();
