// LabFlow's small progressive enhancements; every page works without it.
// Ask for confirmation only when the button that submitted the form asks
// for it (a form may hold both "approve" and a confirmed "reject").
document.addEventListener("submit", function (e) {
  var b = e.submitter;
  if (b && b.hasAttribute("data-confirm") && !window.confirm(b.getAttribute("data-confirm"))) e.preventDefault();
});
