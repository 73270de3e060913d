// A form sent by htmx never fails in silence. Forms marked data-htmx-error (the dose buttons) get the server's own
// explanation when it refuses them (400: "There is no dose at 09:00 ...", swapped in like any answer, which htmx
// does not do by itself for an error status); anything else (a page out of date after logging in again: 403; a
// server error; no connection) shows the form's own sentence (in the reader's language) just above it, so a
// member never believes a dose was logged when it was not.
(function () {
  "use strict";
  function marked(evt) {
    // The element that sent the request (htmx:beforeSwap is fired on the swap's target instead).
    var d = evt.detail || {};
    var elt = (d.requestConfig && d.requestConfig.elt) || d.elt;
    return elt && elt.closest ? elt.closest("form[data-htmx-error]") : null;
  }
  document.addEventListener("htmx:beforeSwap", function (evt) {
    if (marked(evt) && evt.detail.xhr && evt.detail.xhr.status === 400) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
  function say(evt) {
    var form = marked(evt);
    if (!form || !form.parentNode) {
      return;
    }
    var note = form.previousElementSibling;
    if (!note || !note.hasAttribute("data-htmx-said")) {
      note = document.createElement("p");
      note.className = "errorlist";
      note.setAttribute("role", "alert");
      note.setAttribute("data-htmx-said", "");
      form.parentNode.insertBefore(note, form);
    }
    note.textContent = form.getAttribute("data-htmx-error");
  }
  document.addEventListener("htmx:responseError", say);
  document.addEventListener("htmx:sendError", say);
})();
