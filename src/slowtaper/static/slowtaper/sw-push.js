// Push reminders in the service worker (imported by the app's worker at /sw.js with importScripts).
//
// A push carries JSON made by the server (checkins/webpush.py): {title, body, url, tag[, icon]}. The title is
// "Dose time" in the member's language and the body the time ("08:00"): never the medicine or the dose, since a
// lock screen shows it to anyone. The tag is the dose's ("dose-20270211-0800"), so a repeat of the same dose
// replaces the earlier notification and rings again (renotify) instead of piling up. Tapping it focuses a window
// of the app already open, at the dose, or opens one.
/* global self, clients */
(function () {
  "use strict";

  var FALLBACK = { title: "slowtaper", body: "", url: "/me/", tag: "slowtaper" };

  function read(event) {
    if (!event.data) return FALLBACK;
    try {
      var data = event.data.json();
      return data && typeof data === "object" ? data : FALLBACK;
    } catch (e) {
      return FALLBACK;
    }
  }

  function sameOrigin(url) {
    try {
      var target = new URL(url || "/me/", self.location.origin);
      return target.origin === self.location.origin ? target.href : self.location.origin + "/me/";
    } catch (e) {
      return self.location.origin + "/me/";
    }
  }

  self.addEventListener("push", function (event) {
    var data = read(event);
    var options = {
      body: String(data.body || ""),
      tag: String(data.tag || FALLBACK.tag),
      renotify: true,
      requireInteraction: true,
      data: { url: sameOrigin(data.url) },
    };
    if (data.icon) options.icon = String(data.icon);
    event.waitUntil(self.registration.showNotification(String(data.title || FALLBACK.title), options));
  });

  self.addEventListener("notificationclick", function (event) {
    event.notification.close();
    var url = sameOrigin(event.notification.data && event.notification.data.url);
    event.waitUntil(
      clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
        for (var i = 0; i < windows.length; i++) {
          var win = windows[i];
          if (new URL(win.url).origin === self.location.origin && "focus" in win) {
            // navigate() works only for a window this worker controls; any other is focused where it is.
            return (win.navigate ? win.navigate(url) : Promise.resolve(win))
              .catch(function () { return win; })
              .then(function (w) { return (w || win).focus(); });
          }
        }
        return clients.openWindow ? clients.openWindow(url) : null;
      })
    );
  });
})();
