/* The driver app's service worker (served at /driver/sw.js, scope /driver/): the app shell
 * (stylesheet, script, icons, scanner) is cached at install; pages are fetched from the
 * network first and the last copy of each is kept, so the route and its stops still open
 * without signal. POSTs (actions, positions) are never cached: the page's queue keeps them. */
var SHELL = "nearbox-driver-shell-v1";
var PAGES = "nearbox-driver-pages-v1";
var ASSETS = [
  "/static/driver/driver.css",
  "/static/js/driver-app.js",
  "/static/driver/manifest.webmanifest",
  "/static/driver/icon-192.png",
  "/static/driver/icon-512.png",
  "/static/vendor/zxing-library-0.23.0/index.min.js",
];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.addAll(ASSETS); }).catch(function () {}));
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== SHELL && k !== PAGES; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.indexOf("/driver/") === 0) {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(PAGES).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(request).then(function (hit) {
        return hit || new Response("<h1>No signal</h1><p>Open this page once online first.</p>", { headers: { "Content-Type": "text/html" } });
      });
    }));
    return;
  }
  if (ASSETS.indexOf(url.pathname) !== -1) {
    event.respondWith(caches.match(request).then(function (hit) { return hit || fetch(request); }));
  }
});
