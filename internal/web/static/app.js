// LabFlow's small progressive enhancements; every page works without it.
document.addEventListener("submit", function (e) {
  var b = e.target.querySelector("button[data-confirm]");
  if (b && !window.confirm(b.getAttribute("data-confirm"))) e.preventDefault();
});
