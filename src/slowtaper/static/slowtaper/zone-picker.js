// Time-zone pickers: narrow the list to the chosen country's zones, and propose this device's zone.
//
// Without this file the picker lists the zones of every country slowtaper serves, grouped by country, and the
// server checks that the zone belongs to the country; with it, the person sees only their country's few zones.
// The device's zone is proposed only where the picker asks for it (not on the staff invitation, where the
// device is the staff member's, not the invitee's) and only while no zone is chosen.
(function () {
  "use strict";

  function say(note, template, value) {
    if (!note || !template) return;
    note.textContent = template.replace("{}", value);
    note.hidden = false;
  }

  function setup(zones) {
    var form = zones.form;
    var country = form && form.elements[zones.getAttribute("data-zone-for")];
    if (!country) return;
    var note = form.querySelector("#zone-proposed");
    var placeholder = zones.querySelector("option[value='']");
    var groups = Array.prototype.map.call(zones.querySelectorAll("optgroup"), function (g) {
      return g.cloneNode(true);
    });

    function countryName() {
      var option = country.options[country.selectedIndex];
      return option && option.value ? option.textContent : "";
    }

    function narrow() {
      var keep = zones.value;
      var name = countryName();
      zones.textContent = "";
      if (placeholder) zones.appendChild(placeholder);
      groups.forEach(function (g) {
        if (!name || g.label === name) zones.appendChild(g.cloneNode(true));
      });
      zones.value = keep;
      if (zones.value !== keep) zones.value = "";
      var offered = zones.querySelectorAll("optgroup option");
      if (name && offered.length === 1) zones.value = offered[0].value;
      if (note && note.hidden === false && note.getAttribute("data-kind") === "not-served") note.hidden = true;
      if (name && offered.length === 0) {
        note.setAttribute("data-kind", "not-served");
        say(note, note.getAttribute("data-not-served"), name);
      }
    }

    country.addEventListener("change", narrow);
    narrow();

    if (zones.value || !zones.hasAttribute("data-propose-browser")) return;
    var here = "";
    try {
      here = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      return;
    }
    var group = groups.filter(function (g) {
      return g.querySelector("option[value='" + here.replace(/'/g, "") + "']");
    })[0];
    if (!group || (countryName() && countryName() !== group.label)) return;
    if (!countryName()) {
      Array.prototype.forEach.call(country.options, function (o) {
        if (o.textContent === group.label) country.value = o.value;
      });
      narrow();
    }
    zones.value = here;
    var chosen = zones.options[zones.selectedIndex];
    note.setAttribute("data-kind", "proposed");
    say(note, note.getAttribute("data-proposed"), chosen ? chosen.textContent : here);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-zone-for]"), setup);
  });
})();
