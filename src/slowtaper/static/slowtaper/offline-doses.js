// Dose taps that cannot reach the server wait in this browser and are sent when the connection returns, so a
// member who taps Taken on a train or in a basement loses nothing and logs nothing twice.
//
// A tap is queued when the phone says it is offline (the form is not sent at all) or when htmx could not get an
// answer (a network error: the request may or may not have reached the server). It is kept in localStorage with
// everything needed to send it again: the account it was tapped on, the dose (day and time), the answer, its
// write key (the server's idempotency key), the page's CSRF token and when it was tapped. It is sent with its
// own key on `online`, on every page load and every half minute, so a tap that did reach the server before its
// answer was lost is answered with the first write and not stored again.
//
// Key rule (one write per key on the server: a key used before is answered with what it stored then, whatever
// the tap says now, so a key must never serve two answers):
// - a tap queued without being sent (the phone is offline) gets a key made here (crypto.randomUUID), new, kept
//   with the tap so that a replay after a lost answer is the same write;
// - a tap sent that got no answer is queued with the key it was sent with (it may have been stored), and the
//   form then gets a new key: the form's next tap is another answer;
// - a second tap on the same dose while queued replaces the first (the latest answer wins, as on the server)
//   and, when it says the same thing, keeps the first tap's key, so a double tap stays one write;
// - the copy of the doses kept for offline use (programs/installable.py, [data-offline-copy]) is the same text
//   each time it is opened, keys included: its forms get keys made here each time it is opened, so a key the
//   copy carried is never sent twice (an answer changed on a copy opened again would be taken for the old one).
//   The member home's keys are the server's, new in every response (its online double-tap protection as it was).
// Account rule: a tap belongs to the account whose page it was tapped on (body[data-member]); it is sent only
// from that account's pages, and the server refuses a tap for another account (409), so after an idle logout
// and someone else logging in on the same phone it waits, unseen, for its own member (for a few days at most).
// Logging out on purpose clears this browser's storage (Clear-Site-Data), after a warning.
//
// Every sentence comes from the page (translated server-side): #dose-queue's data attributes on the member
// home and on the copy (programs/_dose_queue.html), the logout form's data-unsent-* everywhere.
//
// On the copy: the forms are the home's (rows dose-YYYYMMDD-HHMM, data-dose-form, member); pwa.js gives the
// section of today the id the answers replace (#doses). Whatever swaps the dose list fires
// slowtaper:doses-swapped on the body, so pwa.js keeps a new copy (a dose logged shows in the copy offline).
// A session that ended (an idle logout) while the page was open: the tap is not lost on the way to the login
// page, it waits ("log in again") and is sent after the login.
(function () {
  "use strict";
  var STORE = "slowtaper-dose-taps";
  var KEEP_MS = 8 * 24 * 3600 * 1000; // the server logs the last 7 days (BACKFILL_DAYS); older taps are refused
  var RETRY_MS = 30000;
  var WAIT_MS = 10000; // a send that gets no answer by then is tried again later
  var sending = null;

  function storage() {
    try {
      return window.localStorage;
    } catch (e) {
      return null;
    }
  }
  function load() {
    var s = storage();
    if (!s) {
      return [];
    }
    try {
      var list = JSON.parse(s.getItem(STORE) || "[]");
      return Array.isArray(list) ? list : [];
    } catch (e) {
      return [];
    }
  }
  function save(list) {
    var s = storage();
    if (!s) {
      return;
    }
    try {
      if (list.length) {
        s.setItem(STORE, JSON.stringify(list));
      } else {
        s.removeItem(STORE);
      }
    } catch (e) {
      // storage full or refused: the tap shows as not saved by htmx-errors.js's sentence instead
    }
  }
  function account() {
    return document.body ? document.body.getAttribute("data-member") : null;
  }
  function mine() {
    var me = account();
    return load().filter(function (t) {
      return me && t.member === me;
    });
  }
  function unsent() {
    return mine().filter(function (t) {
      return t.state !== "refused";
    });
  }
  function sameDose(a, b) {
    return a.member === b.member && a.day === b.day && a.time === b.time;
  }
  function update(key, change) {
    // Rewrite the stored tap with this key (a newer tap may have replaced it meanwhile: then nothing).
    save(
      load()
        .map(function (t) {
          return t.key === key ? change(t) : t;
        })
        .filter(Boolean)
    );
  }

  function freshKey() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map
      .call(b, function (x) {
        return (x + 256).toString(16).slice(1);
      })
      .join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }
  function cookieToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : null;
  }
  // The copy's forms: keys of this opening's own (see the key rule).
  function rekeyCopy() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-offline-copy] form[data-dose-form]"), function (f) {
      var key = f.querySelector('input[name="key"]');
      if (key) {
        key.value = freshKey();
      }
    });
  }
  function two(n) {
    return ("0" + n).slice(-2);
  }
  function clock(iso) {
    var d = new Date(iso);
    return two(d.getHours()) + ":" + two(d.getMinutes());
  }
  function fill(text, values) {
    return (text || "").replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }
  function counted(elt, name, n) {
    // data-NAME-one / data-NAME-other, chosen by the page language's plural rules.
    var form = "other";
    try {
      form = new Intl.PluralRules(document.documentElement.lang || undefined).select(n);
    } catch (e) {
      form = n === 1 ? "one" : "other";
    }
    var text = elt.getAttribute("data-" + name + "-" + (form === "one" ? "one" : "other"));
    return fill(text, { n: n });
  }
  function value(form, name) {
    var input = form.querySelector('input[name="' + name + '"]');
    return input ? input.value : "";
  }
  function rowOf(t) {
    return document.getElementById("dose-" + t.day.replace(/-/g, "") + "-" + t.time.replace(":", ""));
  }
  function labelOf(t) {
    // The button's own word ("Taken", "Tomada") in the page's language, else the one saved with the tap.
    var row = rowOf(t);
    var button = row ? row.querySelector('button[name="status"][value="' + t.status + '"]') : null;
    return button ? button.textContent.trim() : t.label;
  }
  function dayText(day) {
    var d = new Date(day + "T12:00:00");
    try {
      return d.toLocaleDateString(document.documentElement.lang || undefined, {
        weekday: "long",
        day: "numeric",
        month: "long",
      });
    } catch (e) {
      return day;
    }
  }

  // --- queueing a tap --------------------------------------------------------------------------------------------

  function tapOf(form, button) {
    return {
      member: value(form, "member") || account(),
      action: form.getAttribute("action"),
      day: value(form, "day"),
      time: value(form, "time"),
      status: button.value,
      label: button.textContent.trim(),
      key: value(form, "key"),
      csrf: value(form, "csrfmiddlewaretoken"),
      tapped: new Date().toISOString(),
      state: "waiting",
    };
  }

  function queue(form, tap) {
    var earlier = null;
    var list = load().filter(function (t) {
      if (sameDose(t, tap)) {
        if (t.state !== "refused") {
          earlier = t;
        }
        return false;
      }
      return true;
    });
    if (earlier && earlier.status === tap.status) {
      earlier.state = tap.state; // the same answer again: the first tap, and its key, stand
      tap = earlier;
    }
    list.push(tap);
    save(list);
    // The form's next tap is another answer: a key of its own, so the server cannot take it for this one.
    var key = form.querySelector('input[name="key"]');
    if (key) {
      key.value = freshKey();
    }
    show();
  }

  function doseForm(evt) {
    // The form that sent the request: htmx fires some events on a parent once the form was swapped out, with
    // that parent as detail.elt; requestConfig.elt stays the form.
    var d = evt.detail || {};
    var elt = (d.requestConfig && d.requestConfig.elt) || d.elt;
    return elt && elt.closest ? elt.closest("form[data-dose-form]") : null;
  }

  // The phone knows it is offline: the tap is queued and not sent (capture phase: before htmx sees it).
  document.addEventListener(
    "submit",
    function (evt) {
      var form = evt.target;
      var button = evt.submitter;
      if (!form.matches || !form.matches("form[data-dose-form]") || !button || !button.value) {
        return;
      }
      // The copy: the session's token as it is now (the kept text carries the one of the day it was made). The
      // home's stays its own: a home left open across a new login says it is out of date (htmx-errors.js).
      var csrf = form.closest("[data-offline-copy]") && form.querySelector('input[name="csrfmiddlewaretoken"]');
      var now = cookieToken();
      if (csrf && now) {
        csrf.value = now;
      }
      form.slowtaperTap = tapOf(form, button);
      if (navigator.onLine === false) {
        evt.preventDefault();
        evt.stopPropagation();
        form.slowtaperTap.key = freshKey(); // never sent: a key of its own (see the key rule)
        queue(form, form.slowtaperTap);
        form.slowtaperTap = null;
      }
    },
    true
  );

  // Sent but no answer (a network error, not an HTTP error, or none within the form's hx-request timeout: a
  // connection that says it is there and carries nothing): queued with the same key, as it may have arrived.
  // Caught before htmx-errors.js (window, capture phase), whose "reload and tap again" would be wrong here.
  function unanswered(evt) {
    var form = doseForm(evt);
    if (!form || !form.slowtaperTap) {
      return;
    }
    queue(form, form.slowtaperTap);
    form.slowtaperTap = null;
    evt.stopPropagation();
  }
  document.addEventListener("htmx:configRequest", function (evt) {
    if (evt.target.closest && evt.target.closest("form[data-dose-form]")) {
      evt.detail.timeout = WAIT_MS; // no answer by then: queued (htmx waits for ever by default)
    }
  });
  window.addEventListener("htmx:sendError", unanswered, true);
  window.addEventListener("htmx:timeout", unanswered, true);

  // The session ended meanwhile (an idle logout: the server answers HX-Redirect to the login page, or the
  // request was redirected there): nothing was stored. The tap waits for a login, which the box offers, rather
  // than being dropped on the way to the login page.
  document.addEventListener("htmx:beforeOnLoad", function (evt) {
    var form = doseForm(evt);
    var xhr = evt.detail && evt.detail.xhr;
    if (!form || !form.slowtaperTap || !xhr) {
      return;
    }
    var redirected = false;
    try {
      redirected = new URL(xhr.responseURL).pathname !== new URL(form.action).pathname;
    } catch (e) {
      redirected = false;
    }
    if (!xhr.getResponseHeader("HX-Redirect") && !redirected) {
      return;
    }
    evt.preventDefault(); // neither the redirect nor a login page swapped into the dose list
    var tap = form.slowtaperTap;
    form.slowtaperTap = null;
    tap.state = "login";
    queue(form, tap);
    if (!document.getElementById("dose-queue")) {
      window.location.assign(xhr.getResponseHeader("HX-Redirect") || xhr.responseURL);
    }
  });

  // A tap that did get through is the latest answer for its dose: an older one waiting for it is dropped.
  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = doseForm(evt);
    if (!form || !form.slowtaperTap || !evt.detail.successful) {
      return;
    }
    var done = form.slowtaperTap;
    form.slowtaperTap = null;
    save(
      load().filter(function (t) {
        return !sameDose(t, done);
      })
    );
  });
  document.addEventListener("htmx:afterSettle", function () {
    show();
  });

  // --- sending ---------------------------------------------------------------------------------------------------

  function token(t) {
    // The session's token as it is now (it changes at every login), else the page's, else the one saved.
    var now = cookieToken();
    if (now) {
      return now;
    }
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || t.csrf;
    } catch (e) {
      return t.csrf;
    }
  }

  function fragment(html) {
    var box = document.createElement("template");
    box.innerHTML = html;
    return box.content.querySelector("#doses");
  }

  function send(t) {
    var body = new URLSearchParams();
    body.set("key", t.key);
    body.set("day", t.day);
    body.set("time", t.time);
    body.set("status", t.status);
    body.set("member", t.member);
    var stop = window.AbortController ? new AbortController() : null;
    var timer = stop
      ? setTimeout(function () {
          stop.abort();
        }, WAIT_MS)
      : null;
    return fetch(t.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      redirect: "manual", // a login page is not an answer
      signal: stop ? stop.signal : undefined,
      // As htmx: the server answers with the dose list, or with it and its reason for refusing (400).
      headers: { "X-CSRFToken": token(t), "HX-Request": "true" },
    })
      .then(function (r) {
        if (r.type === "opaqueredirect" || r.headers.get("HX-Redirect") || r.status === 401 || r.status === 403) {
          return { state: "login" }; // logged out (idle) or the token is stale: it waits for a login
        }
        if (r.status === 409) {
          return { state: "login" }; // someone else is logged in now: it waits for its own member
        }
        if (r.status !== 200 && r.status !== 400) {
          return { state: "later" }; // a server error, too many requests: tried again later
        }
        return r.text().then(function (html) {
          var doses = fragment(html);
          if (!doses) {
            return { state: "later" };
          }
          if (r.status === 200) {
            return { state: "sent", doses: doses };
          }
          var said = doses.querySelector(".errorlist");
          var reason = said ? said.textContent.trim() : "";
          if (said) {
            said.remove(); // said with the tap it refused, at the top
          }
          return { state: "refused", reason: reason, doses: doses };
        });
      })
      .catch(function () {
        return { state: "later" }; // still no connection
      })
      .then(function (result) {
        if (timer) {
          clearTimeout(timer);
        }
        return result;
      });
  }

  function swap(doses) {
    var here = document.getElementById("doses");
    if (!here || !doses) {
      return;
    }
    here.replaceWith(doses);
    if (window.htmx) {
      window.htmx.process(doses);
    }
    document.body.dispatchEvent(new CustomEvent("slowtaper:doses-swapped", { bubbles: true }));
  }

  function flush() {
    if (sending) {
      return sending;
    }
    if (navigator.onLine === false || !account()) {
      return Promise.resolve();
    }
    var todo = unsent().sort(function (a, b) {
      return a.tapped < b.tapped ? -1 : 1;
    });
    if (!todo.length) {
      return Promise.resolve();
    }
    var latest = null;
    function next(i) {
      if (i >= todo.length) {
        return null;
      }
      var t = todo[i];
      var still = load().some(function (s) {
        return s.key === t.key && s.state !== "refused";
      });
      if (!still) {
        return next(i + 1); // replaced or logged by a later tap while this round was sending: the later one wins
      }
      return send(t).then(function (result) {
        if (result.doses) {
          latest = result.doses;
        }
        if (result.state === "sent") {
          update(t.key, function () {
            return null;
          });
          return next(i + 1);
        }
        if (result.state === "refused") {
          update(t.key, function (s) {
            s.state = "refused";
            s.reason = result.reason;
            return s;
          });
          return next(i + 1);
        }
        if (result.state === "login") {
          update(t.key, function (s) {
            s.state = "login";
            return s;
          });
        }
        return null; // the rest would fare no better now
      });
    }
    sending = Promise.resolve(next(0)).then(function () {
      sending = null;
      swap(latest);
      show();
    });
    return sending;
  }

  // --- what the page shows ---------------------------------------------------------------------------------------

  function show() {
    var box = document.getElementById("dose-queue");
    Array.prototype.forEach.call(document.querySelectorAll("[data-waiting-tap]"), function (old) {
      old.remove();
    });
    if (!box) {
      return;
    }
    var list = mine();
    var waiting = list.filter(function (t) {
      return t.state !== "refused";
    });
    var refused = list.filter(function (t) {
      return t.state === "refused";
    });
    waiting.forEach(function (t) {
      var row = rowOf(t);
      if (!row) {
        return;
      }
      var note = document.createElement("span");
      note.className = "waiting-tap";
      note.setAttribute("data-waiting-tap", "");
      note.textContent = fill(box.getAttribute("data-row"), { status: labelOf(t), time: clock(t.tapped) });
      row.appendChild(note);
    });
    var login = waiting.some(function (t) {
      return t.state === "login";
    });
    var said = box.querySelector("[data-dose-queue-said]");
    said.textContent = waiting.length ? counted(box, login ? "login" : "waiting", waiting.length) : "";
    said.hidden = !waiting.length;
    box.querySelector("[data-dose-queue-login]").hidden = !login;
    var ul = box.querySelector("[data-dose-queue-refused]");
    ul.textContent = "";
    refused.forEach(function (t) {
      var li = document.createElement("li");
      li.className = "errorlist";
      li.textContent = fill(box.getAttribute("data-refused"), {
        status: labelOf(t),
        time: t.time,
        day: dayText(t.day),
        reason: t.reason || "",
      });
      ul.appendChild(li);
    });
    ul.hidden = !refused.length;
    box.querySelector("[data-dose-queue-dismiss]").hidden = !refused.length;
    box.hidden = !waiting.length && !refused.length;
  }

  function dismiss() {
    var me = account();
    save(
      load().filter(function (t) {
        return !(t.member === me && t.state === "refused");
      })
    );
    show();
  }

  // A reminder opens /me/#dose-YYYYMMDD-HHMM: that dose has the focus (and the :target highlight).
  function focusTarget() {
    if (!/^#dose-\d{8}-\d{4}$/.test(window.location.hash)) {
      return;
    }
    var row = document.getElementById(window.location.hash.slice(1));
    if (row) {
      row.focus();
    }
  }

  // Logging out with taps not sent: send them first when online, and ask before leaving any behind.
  document.addEventListener(
    "submit",
    function (evt) {
      var form = evt.target;
      if (!form.matches || !form.matches("form[data-unsent-one]") || form.slowtaperConfirmed || !unsent().length) {
        return;
      }
      evt.preventDefault();
      evt.stopPropagation();
      flush().then(function () {
        var left = unsent().length;
        if (left && !window.confirm(counted(form, "unsent", left))) {
          return;
        }
        form.slowtaperConfirmed = true;
        if (form.requestSubmit) {
          form.requestSubmit();
        } else {
          form.submit();
        }
      });
    },
    true
  );

  function start() {
    rekeyCopy();
    var now = Date.now();
    var me = account();
    // Another account's taps are kept for their member only as long as the server could still log them.
    save(
      load().filter(function (t) {
        return t.member === me || now - new Date(t.tapped).getTime() < KEEP_MS;
      })
    );
    var box = document.getElementById("dose-queue");
    if (box) {
      box.querySelector("[data-dose-queue-dismiss] button").addEventListener("click", dismiss);
    }
    show();
    focusTarget();
    flush();
    window.addEventListener("online", flush);
    window.addEventListener("hashchange", focusTarget);
    window.addEventListener("storage", function (evt) {
      if (evt.key === STORE) {
        show();
      }
    });
    setInterval(function () {
      if (unsent().length) {
        flush();
      }
    }, RETRY_MS);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
