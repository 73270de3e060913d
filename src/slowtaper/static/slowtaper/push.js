// Push reminders on this device (Settings, "Reminders on your devices").
//
// The button subscribes this browser with the server's VAPID public key (`data-key`) through the service worker
// (served at /sw.js; its push handler is static/slowtaper/sw-push.js) and posts the subscription as JSON with the
// page's CSRF token; the server answers with a message, and the page reloads to list the device. Every message
// shown comes translated from the page (`data-*`). Without JavaScript, or where the browser has no Push API, the
// member is told plainly and keeps email reminders. The device list marks this browser's own subscription, and
// removing it also unsubscribes the browser.
(function () {
  "use strict";

  var control = document.getElementById("push-control");
  var list = document.getElementById("push-devices");
  if (!control && !list) return;

  function csrf() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  // A push service that cannot be reached leaves subscribe() waiting for ever (seen in Chromium offline): give up
  // after a while and say so, rather than "Asking this device…" for good.
  var PATIENCE_MS = 20000;

  function withTimeout(promise) {
    return new Promise(function (resolve, reject) {
      var timer = window.setTimeout(function () { reject(new Error("timeout")); }, PATIENCE_MS);
      promise.then(function (value) { window.clearTimeout(timer); resolve(value); },
        function (error) { window.clearTimeout(timer); reject(error); });
    });
  }

  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  function registration() {
    // The app's service worker (registered by the app's own script on every page); registered here too if this
    // page was opened before it was, so the button never waits for a worker that will not come.
    return navigator.serviceWorker.getRegistration("/").then(function (found) {
      return found || navigator.serviceWorker.register("/sw.js", { scope: "/" });
    }).then(function () {
      return navigator.serviceWorker.ready;
    });
  }

  function current() {
    if (!supported()) return Promise.resolve(null);
    return navigator.serviceWorker.getRegistration("/").then(function (reg) {
      return reg && reg.pushManager ? reg.pushManager.getSubscription() : null;
    }).catch(function () { return null; });
  }

  function markThisDevice(subscription) {
    if (!list || !subscription) return false;
    var found = false;
    Array.prototype.forEach.call(list.querySelectorAll("li[data-endpoint]"), function (item) {
      var mine = item.getAttribute("data-endpoint") === subscription.endpoint;
      var tag = item.querySelector(".push-this");
      if (tag && control) tag.textContent = control.getAttribute("data-this-device");
      if (tag) tag.hidden = !mine;
      found = found || mine;
    });
    return found;
  }

  if (list) {
    // Removing this device also stops the browser's subscription (the server forgets it either way).
    Array.prototype.forEach.call(list.querySelectorAll("form.push-remove"), function (form) {
      form.addEventListener("submit", function (event) {
        var endpoint = form.closest("li").getAttribute("data-endpoint");
        event.preventDefault();
        current().then(function (sub) {
          return sub && sub.endpoint === endpoint ? sub.unsubscribe() : null;
        }).catch(function () { return null; }).then(function () { form.submit(); });
      });
    });
  }

  if (!control) {
    current().then(markThisDevice);
    return;
  }
  var button = document.getElementById("push-on");
  var status = document.getElementById("push-status");

  function say(name, text) {
    status.textContent = text || control.getAttribute("data-" + name) || "";
  }

  if (!supported()) {
    say("unsupported");
    return;
  }
  current().then(function (sub) {
    // This device is listed already: nothing to turn on (removing it below shows the button again).
    if (markThisDevice(sub)) say("on");
    else button.hidden = false;
  });
  if (Notification.permission === "denied") say("denied");

  button.addEventListener("click", function () {
    button.disabled = true;
    say("working");
    var asked = Notification.permission === "granted" ? Promise.resolve("granted") : Notification.requestPermission();
    asked.then(function (permission) {
      if (permission !== "granted") {
        say("denied");
        throw null;
      }
      return withTimeout(registration().then(function (reg) {
        return reg.pushManager.getSubscription().then(function (existing) {
          return existing || reg.pushManager.subscribe({
            userVisibleOnly: true,
            applicationServerKey: keyBytes(control.getAttribute("data-key")),
          });
        });
      }));
    }).then(function (subscription) {
      return fetch(control.getAttribute("data-subscribe"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify(subscription),
      });
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (!response.ok) {
          say("failed", answer.error);
          throw null;
        }
        say("on", answer.message);
        window.setTimeout(function () { window.location.reload(); }, 1200);
      });
    }).catch(function (error) {
      if (error !== null) say(Notification.permission === "denied" ? "denied" : "failed");
      button.disabled = false;
    });
  });
})();
