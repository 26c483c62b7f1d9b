// LabFlow: "add a row" for forms of table rows (the node plan form); every
// such form works without it, with the empty rows the server renders.
(function () {
  "use strict";
  // A [data-add-row=ID] button adds a row to table ID: a copy of its last
  // row, emptied, its number one more (names "nodes.3.name" become
  // "nodes.4.name"; the row's labels say 4).
  document.querySelectorAll("[data-add-row]").forEach(function (b) {
    var table = document.getElementById(b.getAttribute("data-add-row"));
    if (!table || !table.tBodies.length) return;
    var prefix = table.getAttribute("data-rows");
    b.hidden = false;
    b.addEventListener("click", function () {
      var body = table.tBodies[0], last = body.rows[body.rows.length - 1];
      if (!last) return;
      var n = body.rows.length + 1;
      var row = last.cloneNode(true);
      row.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
      var num = row.querySelector(".row-n");
      if (num) num.textContent = n;
      row.querySelectorAll("input, select, textarea").forEach(function (f) {
        if (f.name) f.name = f.name.replace(new RegExp("^" + prefix + "\\.\\d+\\."), prefix + "." + n + ".");
        var l = f.getAttribute("aria-label");
        if (l) f.setAttribute("aria-label", l.replace(/\d+/, n));
        if (f.tagName === "SELECT") f.selectedIndex = 0; else f.value = "";
      });
      body.appendChild(row);
      var first = row.querySelector("input, select, textarea");
      if (first) first.focus();
    });
  });
})();
