// goldcard applicant portal: conveniences on top of plain HTML (every page works without
// this file). The sign-out countdown ticks; the filing form shows one tab at a time with
// 下一頁 / 回上一頁; and, since the platform has no save function, the form keeps a draft
// of what was typed in sessionStorage so a reload or a timed-out session does not wipe it.
(function () {
  "use strict";
  // ---- countdown
  var cd = document.getElementById("countdown");
  if (cd) {
    var left = parseInt(cd.dataset.seconds, 10) || 0;
    var end = Date.now() + left * 1000;
    var tick = function () {
      var s = Math.max(0, Math.round((end - Date.now()) / 1000));
      cd.textContent = String(Math.floor(s / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
      if (s > 0) { setTimeout(tick, 1000); }
    };
    tick();
  }
  // ---- a filed case: its draft is done with
  var done = document.querySelector("[data-clear-draft]");
  if (done) { try { window.sessionStorage.removeItem(done.dataset.clearDraft); } catch (e) { /* no storage */ } }
  // ---- signing out: no draft outlives the account's session in this tab (drafts are
  // keyed "goldcard-extension:<account>:<UI number>")
  document.querySelectorAll('form[action="/sign-out"]').forEach(function (f) {
    f.addEventListener("submit", function () {
      try {
        var s = window.sessionStorage;
        for (var i = s.length - 1; i >= 0; i--) {
          var k = s.key(i);
          if (k && k.indexOf("goldcard-extension") === 0) { s.removeItem(k); }
        }
      } catch (e) { /* no storage */ }
    });
  });
  // ---- the filing form
  var form = document.getElementById("filing");
  if (!form) return;
  // The browser's own check would stop at a required field of a hidden tab without
  // showing it: the server checks everything and shows every error next to its field.
  form.noValidate = true;
  var key = form.dataset.draft;
  var panels = Array.prototype.slice.call(form.querySelectorAll("section.tab-panel"));
  var links = Array.prototype.slice.call(document.querySelectorAll(".filing-tabs a[data-tab]"));
  function show(id) {
    panels.forEach(function (p) { p.hidden = p.id !== id; });
    links.forEach(function (a) {
      var on = a.dataset.tab === id;
      a.parentNode.classList.toggle("current", on);
      if (on) { a.setAttribute("aria-current", "step"); } else { a.removeAttribute("aria-current"); }
    });
  }
  links.forEach(function (a) {
    a.addEventListener("click", function (e) { e.preventDefault(); show(a.dataset.tab); });
  });
  form.querySelectorAll(".steps").forEach(function (s) { s.hidden = false; });
  form.querySelectorAll("button[data-go]").forEach(function (b) {
    b.addEventListener("click", function () { show(b.dataset.go); window.scrollTo(0, 0); });
  });
  // the first tab with an error, else the first
  var bad = form.querySelector(".field.invalid, fieldset.invalid, .error");
  var start = bad ? bad.closest("section.tab-panel") : null;
  show(start ? start.id : panels[0].id);
  // the field's criteria come with the page: a new field re-renders the form (nothing lost)
  var field = document.getElementById("f-field.field");
  var warn = form.querySelector("[data-previous-field]");
  if (field && warn) {
    var prevField = warn.dataset.previousField;
    var prevCriterion = warn.dataset.previousCriterion;
    field.addEventListener("change", function () {
      if (prevField && field.value !== prevField &&
          !window.confirm(warn.textContent.trim())) { field.value = prevField; return; }
      var b = form.querySelector('button[name="action"][value="refresh"]');
      if (b) { b.click(); }
    });
    // changing the criterion drops the carried-over documents too (domain.md): warn once,
    // when leaving the previous application's choice
    var criteria = Array.prototype.slice.call(form.querySelectorAll('input[name="field.criterion"]'));
    var current = form.querySelector('input[name="field.criterion"]:checked');
    var last = current ? current.value : "";
    criteria.forEach(function (r) {
      r.addEventListener("change", function () {
        var leaving = field.value === prevField && last === prevCriterion && r.value !== prevCriterion;
        if (prevCriterion && leaving && !window.confirm(warn.textContent.trim())) {
          criteria.forEach(function (o) { o.checked = o.value === last; });
          return;
        }
        last = r.value;
      });
    });
  }
  // ---- the draft
  var store;
  try { store = window.sessionStorage; } catch (e) { store = null; }
  if (!store || !key) return;
  function fields() {
    return Array.prototype.slice.call(form.elements).filter(function (el) {
      return el.name && el.name !== "csrf" && el.type !== "file" && el.type !== "hidden" && !el.readOnly;
    });
  }
  var saved = null;
  try { saved = JSON.parse(store.getItem(key) || "null"); } catch (e) { saved = null; }
  // what the server sent back wins (it is what was last submitted); the draft fills blanks
  if (saved) {
    fields().forEach(function (el) {
      if (!(el.name in saved)) return;
      if (el.type === "radio" || el.type === "checkbox") {
        if (!form.querySelector('[name="' + el.name + '"]:checked')) { el.checked = saved[el.name] === el.value; }
      } else if (!el.value) { el.value = saved[el.name]; }
    });
  }
  function save() {
    var d = {};
    fields().forEach(function (el) {
      if (el.type === "radio" || el.type === "checkbox") { if (el.checked) d[el.name] = el.value; }
      else { d[el.name] = el.value; }
    });
    store.setItem(key, JSON.stringify(d));
  }
  form.addEventListener("input", save);
  form.addEventListener("change", save);
})();
