// goldcard back office: small conveniences on top of plain HTML forms (every page works
// without this file). Keyboard: j / k move between queue rows, Enter opens the case,
// x selects the row, / goes to search. A "select all" box selects every row of the page.
(function () {
  "use strict";
  function typing(e) {
    var t = e.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }
  document.addEventListener("change", function (e) {
    var box = e.target;
    if (!box || !box.dataset || !box.dataset.selectAll) return;
    var name = box.dataset.selectAll;
    document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (c) {
      c.checked = box.checked;
    });
  });
  var current = -1;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("table.cases tbody tr[data-row]")); }
  function focusRow(i) {
    var all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(all.length - 1, i));
    all.forEach(function (r) { r.classList.remove("selected"); });
    var row = all[current];
    row.classList.add("selected");
    var link = row.querySelector("a");
    if (link) link.focus();
  }
  document.addEventListener("keydown", function (e) {
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "j") { focusRow(current + 1); e.preventDefault(); }
    else if (e.key === "k") { focusRow(current - 1); e.preventDefault(); }
    else if (e.key === "x" && current >= 0) {
      var box = rows()[current].querySelector('input[type="checkbox"]');
      if (box) box.checked = !box.checked;
      e.preventDefault();
    } else if (e.key === "/") {
      var q = document.getElementById("f-q");
      if (q) { q.focus(); } else { window.location.href = "/office/search"; }
      e.preventDefault();
    }
  });
})();
