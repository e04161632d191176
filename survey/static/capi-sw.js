/* kesu offline CAPI service worker (scope /field/): keeps the app shell in Cache Storage so
 * the page opens without a network. Cases, answers and keys are never cached here: they
 * live encrypted in IndexedDB (capi-offline.js). Network first for the page, so a new
 * version arrives as soon as there is a network; cache first for the scripts and styles. */
'use strict';
var CACHE = 'kesu-capi-shell-v1';
var SHELL = ['/field/offline', '/static/kesu.css', '/static/kesu.js', '/static/kesu-expr.js',
             '/static/capi-offline.js'];

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(SHELL); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener('fetch', function (event) {
  var url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.indexOf('/field/api/') === 0) return;  // data: network only
  if (url.pathname === '/field/offline') {
    event.respondWith(fetch(event.request).then(function (resp) {
      if (resp.ok && !resp.redirected) {
        var copy = resp.clone();
        caches.open(CACHE).then(function (c) { c.put('/field/offline', copy); });
      }
      return resp;
    }).catch(function () { return caches.match('/field/offline'); }));
    return;
  }
  if (SHELL.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.match(url.pathname).then(function (hit) {
      return hit || fetch(event.request);
    }));
  }
});
