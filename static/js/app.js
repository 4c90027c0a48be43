// Small behaviours without inline scripts (the CSP forbids them).
document.addEventListener("click", function (event) {
  var target = event.target.closest("[data-confirm]");
  if (target && !window.confirm(target.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
  var all = event.target.closest("[data-check-all]");
  if (all) {
    var name = all.getAttribute("data-check-all");
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
      box.checked = all.checked;
    });
  }
});
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
// A table wider than the screen scrolls sideways in its frame (app.css); such a
// frame takes the keyboard focus, so that it can be scrolled with the arrow
// keys. A frame that fits is no tab stop.
function scrollFramesFocusable() {
  document.querySelectorAll(".table-responsive").forEach(function (frame) {
    if (frame.scrollWidth > frame.clientWidth) {
      frame.tabIndex = 0;
    } else {
      frame.removeAttribute("tabindex");
    }
  });
}
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", scrollFramesFocusable);
} else {
  scrollFramesFocusable();
}
window.addEventListener("resize", scrollFramesFocusable);
