// slowtaper on the member's phone (programs/installable.py says what and why):
// - on a member's pages: registers the service worker (/sw.js) and keeps the copy of their doses for when there
//   is no connection (fetched from /me/offline/ when they open the home, after a dose tap, and when the copy is
//   missing or an hour old), under a cache named by their account, deleting any other account's copy;
// - on a page with nobody logged in (the login page after an idle logout) or someone who is not a member:
//   deletes the kept copy (a shared phone: the next person must not find it); a non-member's browser needs no
//   service worker, so it is removed there;
// - on the kept copy itself: shows the day that is today where the member lives (the days before it are taken
//   off the page: their rows would share ids with the day before in an answer swapped in), or says the copy is
//   too old;
// - a dose logged (an htmx answer, or taps waiting sent by offline-doses.js: slowtaper:doses-swapped), on the
//   home or on the copy: the kept copy is made again, so that offline it shows the dose logged;
// - a page of doses (the home, the copy) open since another day is loaded again when the phone is picked up;
// - offers "Install slowtaper on this phone" where the browser offers it (beforeinstallprompt), and on iPhone
//   and iPad Safari, which has no prompt, the "Share, then Add to Home Screen" hint.
(function () {
  "use strict";
  var COPY_PREFIX = "slowtaper-copy-";
  var NOTICE = "slowtaper-notice";
  var COPY_URL = "/me/offline/";
  var NOTICE_URL = "/offline/";
  var HOUR = 3600 * 1000;
  var offered = null; // the browser's install prompt, once it offers one

  function copies(keep) {
    if (!window.caches) {
      return Promise.resolve();
    }
    return caches.keys().then(function (names) {
      return Promise.all(
        names
          .filter(function (name) {
            return name.indexOf(COPY_PREFIX) === 0 && name !== keep;
          })
          .map(function (name) {
            return caches.delete(name);
          })
      );
    });
  }

  // Fetch the copy and keep it, only when it is this member's (a login page means the session is gone: then
  // the old copy goes too); a failure keeps the copy there is.
  function keepCopy(member) {
    var name = COPY_PREFIX + member;
    return fetch(COPY_URL, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.ok && !response.redirected && response.headers.get("X-Slowtaper-Copy") === member) {
          return copies(name)
            .then(function () {
              return caches.open(name);
            })
            .then(function (cache) {
              return cache.put(COPY_URL, response);
            })
            .then(function () {
              return caches.open(NOTICE).then(function (cache) {
                return cache.add(NOTICE_URL); // the notice in the member's language of now
              });
            });
        }
        if (response.redirected) {
          return copies(null);
        }
        return undefined;
      })
      .catch(function () {
        return undefined; // offline: the kept copy stays as it was
      });
  }

  function copyIsOld(member) {
    return caches
      .open(COPY_PREFIX + member)
      .then(function (cache) {
        return cache.match(COPY_URL, { ignoreVary: true });
      })
      .then(function (kept) {
        var made = kept ? Number(kept.headers.get("X-Slowtaper-Copy-Made")) : 0;
        return !made || Date.now() - made > HOUR;
      });
  }

  function localDay(zone) {
    try {
      // en-CA writes dates as YYYY-MM-DD
      return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(
        new Date()
      );
    } catch (e) {
      var now = new Date();
      var pad = function (n) {
        return (n < 10 ? "0" : "") + n;
      };
      return now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
    }
  }

  // The kept copy: today's doses only. Its section takes the id the dose buttons swap (#doses), as on the home.
  function showToday(copy) {
    var today = localDay(copy.getAttribute("data-zone"));
    var days = copy.querySelectorAll("[data-copy-day]");
    var found = null;
    Array.prototype.forEach.call(days, function (section) {
      var day = section.getAttribute("data-copy-day");
      if (day === today) {
        found = section;
      } else if (day < today) {
        section.remove(); // past: nothing to show or to tap (a dose of yesterday is logged from the home)
      } else {
        section.hidden = true;
      }
    });
    if (found) {
      found.id = "doses";
    } else if (days.length) {
      copy.querySelector("[data-copy-too-old]").hidden = false;
    }
  }

  // A page of doses left open over midnight (an installed app resumes where it was, without loading anything):
  // when the phone is picked up on another day, it is loaded again, so Taken logs the day it is, not the day
  // the page was made for. The copy reads the member's zone; the home the phone's (a reload too many at worst).
  function newDayReloads(copy) {
    if (!copy && !document.getElementById("doses")) {
      return; // other pages may hold a form being filled in
    }
    var zone = copy ? copy.getAttribute("data-zone") : undefined;
    var shown = localDay(zone);
    function check() {
      if (document.visibilityState !== "hidden" && localDay(zone) !== shown) {
        shown = localDay(zone); // once
        window.location.reload();
      }
    }
    document.addEventListener("visibilitychange", check);
    window.addEventListener("pageshow", check);
    window.addEventListener("focus", check);
  }

  function offerInstall() {
    var box = document.querySelector("[data-install]");
    if (!box) {
      return;
    }
    var standalone =
      (window.matchMedia && window.matchMedia("(display-mode: standalone)").matches) || window.navigator.standalone;
    if (standalone) {
      return; // already installed and opened as the app
    }
    var button = box.querySelector("button");
    window.addEventListener("beforeinstallprompt", function (event) {
      event.preventDefault(); // our button, on our page, rather than the browser's bar
      offered = event;
      box.hidden = false;
    });
    window.addEventListener("appinstalled", function () {
      offered = null;
      box.hidden = true;
    });
    button.addEventListener("click", function () {
      if (!offered) {
        return;
      }
      offered.prompt();
      offered.userChoice.then(function () {
        offered = null; // a prompt is offered once
        box.hidden = true;
      });
    });
    var ua = window.navigator.userAgent;
    var ios = /iPhone|iPad|iPod/.test(ua) || (ua.indexOf("Macintosh") !== -1 && "ontouchend" in document);
    var safari = /Safari/.test(ua) && !/CriOS|FxiOS|EdgiOS/.test(ua);
    var hint = document.querySelector("[data-install-ios]");
    if (ios && safari && hint) {
      hint.hidden = false;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var body = document.body;
    var member = body.getAttribute("data-member");
    var copy = document.querySelector("[data-offline-copy]");
    if (copy) {
      showToday(copy);
    }
    newDayReloads(copy);
    if (!member) {
      copies(null);
      if (body.hasAttribute("data-draft-owner") && navigator.serviceWorker) {
        // Logged in, not a member: no copy and no worker on this browser.
        navigator.serviceWorker.getRegistrations().then(function (all) {
          all.forEach(function (registration) {
            registration.unregister();
          });
        });
      }
      return;
    }
    offerInstall();
    if (!("serviceWorker" in navigator) || !window.caches) {
      return;
    }
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
      return undefined; // no worker (a private window may refuse one): the pages work as before
    });
    var home = window.location.pathname === "/me/" && !copy;
    if (home) {
      keepCopy(member);
    } else {
      copyIsOld(member).then(function (old) {
        if (old) {
          keepCopy(member);
        }
      });
    }
    // A dose logged, on the home or on the copy: the copy shows it too.
    document.body.addEventListener("htmx:afterSwap", function (event) {
      var target = event.detail && event.detail.target;
      if (target && target.id === "doses") {
        keepCopy(member);
      }
    });
    document.body.addEventListener("slowtaper:doses-swapped", function () {
      keepCopy(member);
    });
  });
})();
