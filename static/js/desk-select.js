/* Order list: a "select every order on this page" box for the ship form. Optional: without
 * this file the box stays hidden and each order is ticked on its own (or "all matching").
 * Works after htmx swaps the table in (the listener is on the document). */
(function () {
  "use strict";

  function reveal(root) {
    root.querySelectorAll("input[data-select-all]").forEach(function (box) {
      box.hidden = false;
    });
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-select-all]")) return;
    var form = box.form || box.closest("form");
    if (!form) return;
    var name = box.getAttribute("data-select-all");
    form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (item) {
      item.checked = box.checked;
    });
  });

  document.addEventListener("DOMContentLoaded", function () { reveal(document); });
  document.addEventListener("htmx:afterSwap", function (event) { reveal(event.target); });
})();
