/* Order list: a "select every order on this page" box for the ship form, and ticks kept when
 * the filter reloads the table (typing a filter and pressing Enter, then ticking a box, fires
 * the filter's change again on blur; without this the reload would drop the tick). "All
 * matching" is kept only while the filter is the same. Optional: without this file the page
 * works, with the select-all box hidden. */
(function () {
  "use strict";

  var kept = null;

  function reveal(root) {
    root.querySelectorAll("input[data-select-all]").forEach(function (box) {
      box.hidden = false;
    });
  }

  function shipForm() {
    return document.getElementById("ship-form");
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

  document.addEventListener("htmx:beforeSwap", function () {
    var form = shipForm();
    if (!form) { kept = null; return; }
    var all = form.querySelector('input[name="all_matching"]');
    kept = {
      filter: form.querySelector('input[name="filter"]').value,
      all: !!(all && all.checked),
      ids: Array.prototype.map.call(
        form.querySelectorAll('input[name="orders"]:checked'), function (box) { return box.value; }
      ),
    };
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    reveal(event.target);
    var form = shipForm();
    if (!form || !kept) return;
    kept.ids.forEach(function (id) {
      var box = form.querySelector('input[name="orders"][value="' + id + '"]');
      if (box) box.checked = true;
    });
    var all = form.querySelector('input[name="all_matching"]');
    if (all && kept.all && form.querySelector('input[name="filter"]').value === kept.filter) {
      all.checked = true;
    }
    kept = null;
  });

  document.addEventListener("DOMContentLoaded", function () { reveal(document); });
})();
