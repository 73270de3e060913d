// Mentions as you type: after "@" and two letters in a board post, the people on the board whose name or handle
// starts with them are offered as buttons under the box; picking one puts their @handle in the text. Lookups
// are debounced, remembered for the page and logged-in only; "nobody matches" is said as plainly as a match.
// Only boxes in a form holding an element with data-mentions (the lookup's address) take part.
(function () {
  "use strict";
  var TYPED = /(^|[^\w@])@([\w.+-]{2,30})$/;
  function setUp(box) {
    var form = box.closest("form");
    var area = form && form.querySelector("textarea");
    if (!area) {
      return;
    }
    var url = box.getAttribute("data-mentions");
    var cache = {};
    var timer = null;
    function typed() {
      var match = TYPED.exec(area.value.slice(0, area.selectionStart));
      return match ? match[2] : null;
    }
    function line(text) {
      var p = document.createElement("p");
      p.className = "small";
      p.textContent = text;
      return p;
    }
    function pick(q, handle) {
      var end = area.selectionStart;
      var before = area.value.slice(0, end);
      var start = before.length - q.length;
      area.value = before.slice(0, start) + handle + " " + area.value.slice(end);
      var caret = start + handle.length + 1;
      box.textContent = "";
      area.focus();
      area.setSelectionRange(caret, caret);
      area.dispatchEvent(new Event("input", { bubbles: true })); // drafts.js keeps the draft
    }
    function show(q, people) {
      box.textContent = "";
      if (typed() !== q) {
        return;
      }
      if (!people.length) {
        box.appendChild(line((box.getAttribute("data-none") || "Nobody is called %s.").replace("%s", "@" + q)));
        return;
      }
      box.appendChild(line(box.getAttribute("data-label") || "Mention:"));
      var list = document.createElement("ul");
      list.className = "mention-list";
      people.forEach(function (person) {
        var item = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "secondary";
        button.textContent = person.name + " (@" + person.handle + ", " + person.role + ")";
        button.addEventListener("click", function () {
          pick(q, person.handle);
        });
        item.appendChild(button);
        list.appendChild(item);
      });
      box.appendChild(list);
    }
    area.addEventListener("input", function () {
      var q = typed();
      window.clearTimeout(timer);
      if (!q) {
        box.textContent = "";
        return;
      }
      var key = q.toLowerCase();
      if (cache[key]) {
        show(q, cache[key]);
        return;
      }
      timer = window.setTimeout(function () {
        fetch(url + "?q=" + encodeURIComponent(q), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        })
          .then(function (response) {
            return response.ok ? response.json() : null;
          })
          .then(function (data) {
            if (data) {
              cache[key] = data.people;
              show(q, data.people);
            }
          })
          .catch(function () {
            /* no suggestions offline: typing goes on as before */
          });
      }, 300);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-mentions]"), setUp);
  });
})();
