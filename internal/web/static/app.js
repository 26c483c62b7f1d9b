// LabFlow's small progressive enhancements; every page works without it.
(function () {
  "use strict";
  var lang = document.documentElement.lang === "en" ? "en" : "zh";
  var msg = {
    reason: { zh: "请先填写原因。", en: "Write the reason first." },
    tooLarge: { zh: "文件合计超过 {mb} MB，请压缩或分开上传。", en: "The files exceed {mb} MB in all; compress them or upload them separately." }
  };
  function say(k, mb) { return msg[k][lang].replace("{mb}", mb); }

  // A button that needs a reason (reject, return, dissent) asks for it
  // before anything is sent; the server asks again in any case.
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-needs-reason]");
    if (!b) return;
    var field = document.getElementById(b.getAttribute("data-needs-reason"));
    if (field && !field.value.trim()) {
      e.preventDefault();
      if (location.hash) history.replaceState(null, "", location.pathname + location.search);
      document.querySelectorAll(".sign-dialog.open").forEach(function (d) { d.classList.remove("open"); });
      var more = document.getElementById("more");
      if (more) more.open = false;
      field.focus();
      field.setCustomValidity(say("reason"));
      field.reportValidity();
      field.addEventListener("input", function () { field.setCustomValidity(""); }, { once: true });
    }
  }, true);

  // Ask for confirmation only when the button that submitted the form asks
  // for it; then send the form once (a second click is ignored).
  document.addEventListener("submit", function (e) {
    var b = e.submitter, f = e.target;
    // "{role}" in the question is the role chosen in the form (the
    // administrator confirms the person and the role, issue 9 item 6).
    var sel = f.querySelector("select[name=role], select[name=grant]");
    var ask = b && b.getAttribute("data-confirm");
    if (ask && sel && sel.selectedIndex >= 0) {
      ask = ask.replace("{role}", sel.options[sel.selectedIndex].text);
    }
    if (ask && !window.confirm(ask)) {
      e.preventDefault();
      return;
    }
    if (f.method === "post" || f.getAttribute("method") === "post") {
      if (f.dataset.sending) { e.preventDefault(); return; }
      f.dataset.sending = "1";
      setTimeout(function () { delete f.dataset.sending; }, 8000);
    }
  });

  // File pickers in the page's language: the chosen names, and the size
  // limit checked before anything is uploaded (what was typed stays).
  document.addEventListener("change", function (e) {
    var input = e.target;
    if (!input || input.type !== "file") return;
    var names = document.getElementById(input.id + "-names");
    var max = parseInt(input.getAttribute("data-max-mb") || "0", 10);
    var total = 0, list = [];
    Array.prototype.forEach.call(input.files, function (f) { total += f.size; list.push(f.name); });
    if (max && total > max * 1048576) {
      input.value = "";
      if (names) { names.textContent = say("tooLarge", max); names.classList.add("field-error"); }
      return;
    }
    if (names) {
      names.classList.remove("field-error");
      names.textContent = list.length ? list.join("、") : names.getAttribute("data-none");
    }
  });

  // The signature dialog: focus the password when it opens; Escape closes it.
  function focusDialog() {
    var d = document.querySelector(".sign-dialog:target, .sign-dialog.open");
    if (d) {
      var p = d.querySelector("input[type=password]");
      if (p) p.focus();
    }
  }
  window.addEventListener("hashchange", focusDialog);
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest(".sign-dialog a[href^='#']");
    if (a) a.closest(".sign-dialog").classList.remove("open");
  });
  document.addEventListener("DOMContentLoaded", focusDialog);
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    var open = document.querySelector(".sign-dialog:target, .sign-dialog.open");
    if (open) {
      open.classList.remove("open");
      if (location.hash) history.replaceState(null, "", location.pathname + location.search);
      var b = document.getElementById("act-approve");
      if (b) b.focus();
    }
  });

  // The start form shows computed fields (a line's amount, the total) as they
  // change: the server computes them from what has been entered (files are
  // left out and nothing is stored).
  var form = document.getElementById("start-form");
  if (!form || !form.dataset.preview || !window.fetch) return;
  var timer;
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var data = new FormData(form);
      Array.from(data.keys()).forEach(function (k) {
        if (data.getAll(k).some(function (v) { return v instanceof File; })) data.delete(k);
      });
      fetch(form.dataset.preview, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (res) {
          if (!res) return;
          form.querySelectorAll("output.computed").forEach(function (o) {
            o.textContent = res.values[o.id.slice(2)] || "";
          });
        })
        .catch(function () {});
    }, 250);
  });
})();

// Projects → nodes: a [data-print] button prints the page (the A4 view of a node plan).
document.addEventListener('click', function (e) {
  if (e.target.closest && e.target.closest('[data-print]')) window.print();
});
