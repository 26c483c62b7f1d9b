// LabFlow's small progressive enhancements; every page works without it.
// Ask for confirmation only when the button that submitted the form asks
// for it (a form may hold both "approve" and a confirmed "reject").
document.addEventListener("submit", function (e) {
  var b = e.submitter;
  if (b && b.hasAttribute("data-confirm") && !window.confirm(b.getAttribute("data-confirm"))) e.preventDefault();
});

// The start form shows computed fields (a line's amount, the total) as they
// change: the server computes them from what has been entered (files are
// left out and nothing is stored).
(function () {
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
