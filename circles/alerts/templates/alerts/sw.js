// Circles' service worker (docs/install.md). It keeps one page for when there is no connection — the
// crisis lines and what to do, as a signed-out visitor sees them — with the stylesheet and icons it
// needs, and shows push notifications. It never stores any other page: personal pages go to the network
// every time, and without a connection the crisis page is shown in their place.
"use strict";

var CONFIG = {{ config|safe }};
var PRECACHE = [CONFIG.offline].concat(CONFIG.assets);

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CONFIG.cache).then(function (cache) {
      // No cookies: the server renders these for a signed-out visitor whoever is signed in here.
      return cache.addAll(PRECACHE.map(function (url) {
        return new Request(url, { credentials: "omit", cache: "reload" });
      }));
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("circles-") === 0 && name !== CONFIG.cache;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function fromCache(url) {
  return caches.open(CONFIG.cache).then(function (cache) {
    return cache.match(url, { ignoreVary: true });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    // Network first, always; offline, the crisis page (a pressed "I need help now" included).
    event.respondWith(fetch(request).catch(function () {
      return fromCache(CONFIG.offline).then(function (page) { return page || Response.error(); });
    }));
  } else if (request.method === "GET" && PRECACHE.indexOf(url.pathname) !== -1) {
    event.respondWith(fetch(request).catch(function () {
      return fromCache(url.pathname).then(function (kept) { return kept || Response.error(); });
    }));
  }
  // Anything else is left to the browser, and nothing is ever added to the cache here.
});

// A path on this site, or the home page: a notification never opens another site.
function sameSite(path) {
  try {
    var url = new URL(path || "/", self.location.origin);
    return url.origin === self.location.origin ? url.href : self.location.origin + "/";
  } catch (error) {
    return self.location.origin + "/";
  }
}

self.addEventListener("push", function (event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = {};
  }
  if (!data || typeof data !== "object") { data = {}; }
  var options = {
    body: typeof data.body === "string" && data.title ? data.body : CONFIG.body,
    icon: CONFIG.icon,
    badge: CONFIG.icon,
    data: { url: sameSite(data.url) }
  };
  if (data.tag) {
    options.tag = String(data.tag);
    options.renotify = true;  // a newer notice with the same tag replaces the old one and is heard
  }
  var title = typeof data.title === "string" && data.title ? data.title : CONFIG.title;
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = sameSite(event.notification.data && event.notification.data.url);
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i++) {
        if (windows[i].url === target && "focus" in windows[i]) { return windows[i].focus(); }
      }
      return self.clients.openWindow(target);
    })
  );
});
