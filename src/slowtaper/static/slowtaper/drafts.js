// Keep what someone is writing on the board or to their mentor in this browser until it is posted, so an idle
// logout, a lost connection or a closed tab does not lose it. Only forms marked data-draft take part; nothing
// leaves the device. A draft is cleared when the page after sending shows what was sent (its address ends in
// #post-N or #m-N), and offered back when the same form is shown empty again, e.g. after logging in once more,
// or kept above a quote when quote-reply shows the form again with the quote in it.
// A draft belongs to the person who wrote it (a shared phone or a library computer): it is kept under their
// account and offered to nobody else, and logging out on purpose forgets every draft in this browser.
(function () {
  "use strict";
  var PREFIX = "slowtaper-draft:";
  var owner = null;
  function keyFor(form) {
    return PREFIX + owner + ":" + (form.getAttribute("data-draft") || window.location.pathname);
  }
  function forgetAll(saved) {
    var keys = [];
    for (var i = 0; i < saved.length; i++) {
      var k = saved.key(i);
      if (k && k.indexOf(PREFIX) === 0) {
        keys.push(k);
      }
    }
    keys.forEach(function (k) {
      saved.removeItem(k);
    });
  }
  function store() {
    try {
      return window.localStorage;
    } catch (e) {
      return null;
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var saved = store();
    if (!saved) {
      return;
    }
    Array.prototype.forEach.call(document.querySelectorAll("form[data-forget-drafts]"), function (form) {
      form.addEventListener("submit", function () {
        forgetAll(saved);
      });
    });
    owner = document.body.getAttribute("data-draft-owner");
    if (!owner) {
      return; // nobody logged in (the login page after an idle logout): the drafts wait for their writer
    }
    for (var i = saved.length - 1; i >= 0; i--) {
      var old = saved.key(i);
      if (old && old.indexOf(PREFIX + "/") === 0) {
        saved.removeItem(old); // a draft from before drafts had an owner: nobody can say whose it is
      }
    }
    var sent = null;
    try {
      sent = window.sessionStorage.getItem(PREFIX + "sent");
      window.sessionStorage.removeItem(PREFIX + "sent");
    } catch (e) {
      sent = null;
    }
    if (sent && /^#(post|m)-\d+$/.test(window.location.hash)) {
      // The form was sent and this page shows what was sent: the draft is done with.
      saved.removeItem(sent);
    }
    var forms = document.querySelectorAll("form[data-draft]");
    Array.prototype.forEach.call(forms, function (form) {
      var box = form.querySelector("textarea");
      if (!box) {
        return;
      }
      var key = keyFor(form);
      var draft = saved.getItem(key);
      var quoting = form.hasAttribute("data-quoting") && box.value.trim();
      if (draft && quoting && draft.indexOf(box.value.trim()) === -1) {
        // Quote-reply reloads the page with the quote in the box: the words already being written come first.
        box.value = draft.replace(/\s+$/, "") + "\n\n" + box.value;
        saved.setItem(key, box.value);
      } else if (draft && quoting) {
        box.value = draft;
      }
      if (draft && !box.value.trim()) {
        box.value = draft;
        var note = document.createElement("p");
        note.className = "msg";
        note.setAttribute("role", "status");
        note.textContent = form.getAttribute("data-draft-restored") || "Your unsent text is back.";
        form.insertBefore(note, form.firstChild);
      }
      form.addEventListener("submit", function () {
        try {
          window.sessionStorage.setItem(PREFIX + "sent", key);
        } catch (e) {
          /* without session storage the draft simply stays until it is cleared by hand */
        }
      });
      box.addEventListener("input", function () {
        if (box.value.trim()) {
          saved.setItem(key, box.value);
        } else {
          saved.removeItem(key);
        }
      });
    });
  });
})();
