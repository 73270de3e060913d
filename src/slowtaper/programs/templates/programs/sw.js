{% autoescape off %}// slowtaper's service worker, served by programs/installable.py at /sw.js (scope: the whole site).
//
// What it does, and only this:
// - keeps the static files the kept copy and the offline notice need (CONFIG.precache), under a cache named
//   by the digest of those files, and answers them from there;
// - a navigation to the member home (CONFIG.home) goes to the network; when the network fails, answers with a
//   server error, or has not answered in CONFIG.waitMs, the member's kept copy of their doses is shown
//   (programs/installable.py says why a copy page rather than the last home page). The copy is written by the
//   page script (static/slowtaper/pwa.js), never from a response seen here;
// - any other navigation that fails shows the offline notice (with the crisis numbers), never a browser error;
// - a logout deletes the kept copy, even offline;
// - nothing else is kept: pages pass through untouched (they are no-store), and a POST is never answered from
//   a cache (a failed one shows the offline notice, which says it may not have been saved).
"use strict";
importScripts({{ push_script }});

var CONFIG = {{ config }};
var STATIC = "slowtaper-static-" + CONFIG.version;
var NOTICE = "slowtaper-notice";
var COPY_PREFIX = "slowtaper-copy-";

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches
      .open(STATIC)
      .then(function (cache) {
        return cache.addAll(CONFIG.precache);
      })
      .then(function () {
        return caches.open(NOTICE).then(function (cache) {
          return cache.add(CONFIG.notice).catch(function () {
            return undefined; // kept again by the next page a member opens
          });
        });
      })
      .then(function () {
        return self.skipWaiting();
      })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (names) {
        return Promise.all(
          names
            .filter(function (name) {
              return name.indexOf("slowtaper-static-") === 0 && name !== STATIC;
            })
            .map(function (name) {
              return caches.delete(name);
            })
        );
      })
      .then(function () {
        return self.clients.claim(); // the page that registered the worker is offline-ready at once
      })
  );
});

function forgetCopies() {
  return caches.keys().then(function (names) {
    return Promise.all(
      names
        .filter(function (name) {
          return name.indexOf(COPY_PREFIX) === 0;
        })
        .map(function (name) {
          return caches.delete(name);
        })
    );
  });
}

// The one member's copy; none when there is none or (never expected: keeping one deletes the others) several.
function keptCopy() {
  return caches.keys().then(function (names) {
    var mine = names.filter(function (name) {
      return name.indexOf(COPY_PREFIX) === 0;
    });
    if (mine.length !== 1) {
      return undefined;
    }
    return caches.open(mine[0]).then(function (cache) {
      return cache.match(CONFIG.copy, { ignoreVary: true, ignoreSearch: true });
    });
  });
}

function notice() {
  return caches.open(NOTICE).then(function (cache) {
    return cache.match(CONFIG.notice, { ignoreVary: true }).then(function (kept) {
      if (kept) {
        return kept;
      }
      var text = function (s) {
        return s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
      };
      return new Response(
        '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
          "<title>" + text(CONFIG.fallbackTitle) + "</title><h1>" + text(CONFIG.fallbackTitle) + "</h1><p>" +
          text(CONFIG.fallbackText) + "</p>",
        {
          status: 503,
          headers: {
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": "default-src 'none'",
            "Cache-Control": "no-store",
          },
        }
      );
    });
  });
}

function copyOrNotice() {
  return keptCopy().then(function (copy) {
    return copy || notice();
  });
}

// The member home: the network's answer when it comes in time and is not a server error; else the kept copy.
function home(request) {
  return new Promise(function (resolve) {
    var done = false;
    function answer(response) {
      if (!done) {
        done = true;
        resolve(response);
      }
    }
    var timer = setTimeout(function () {
      keptCopy().then(function (copy) {
        if (copy) {
          answer(copy); // a connection that answers nothing: the copy, rather than a blank screen
        }
      });
    }, CONFIG.waitMs);
    fetch(request).then(
      function (response) {
        clearTimeout(timer);
        if (response.status >= 500) {
          keptCopy().then(function (copy) {
            answer(copy || response);
          });
        } else {
          answer(response);
        }
      },
      function () {
        clearTimeout(timer);
        copyOrNotice().then(answer);
      }
    );
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (url.pathname === CONFIG.logout) {
    event.waitUntil(forgetCopies()); // also when the logout itself cannot reach us
  }
  if (request.mode === "navigate") {
    if (request.method === "GET" && CONFIG.home.indexOf(url.pathname) !== -1) {
      event.respondWith(home(request));
    } else {
      event.respondWith(
        fetch(request).catch(function () {
          return notice();
        })
      );
    }
    return;
  }
  if (request.method === "GET" && CONFIG.precache.indexOf(url.pathname) !== -1) {
    event.respondWith(
      caches.match(request, { cacheName: STATIC }).then(function (kept) {
        return kept || fetch(request);
      })
    );
  }
});
{% endautoescape %}
