/* Nearbox: small, optional enhancements. Every page works without this file.
 *
 * - Copy buttons: an element with the `data-copy` attribute (normally a `.secret`
 *   block) gets a "Copy" button after it. `data-copy="Copy key"` sets the label.
 * - Navigation: on wide screens the sidebar <details> is kept open.
 * - Confirmations: a <form data-confirm="Really delete?"> asks before submitting
 *   (without JavaScript it simply submits).
 * - Polling only while seen: an htmx poller with `data-poll-when-visible` skips its
 *   request while the tab is hidden (htmx's `[filter]` syntax needs eval, which the
 *   Content-Security-Policy forbids).
 *
 * - `window.nearbox.nameOnPlainMap(marker, name, permanent, offsetX)`: for the dashboard maps
 *   (network-map.js, points-map.js, loaded after this file) drawn without tiles.
 *
 * The CSRF token for htmx requests needs no code: base.html puts it in `hx-headers`.
 */
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.top = "-1000px";
      document.body.appendChild(area);
      area.select();
      try {
        document.execCommand("copy") ? resolve() : reject(new Error("copy failed"));
      } catch (err) {
        reject(err);
      } finally {
        document.body.removeChild(area);
      }
    });
  }

  function addCopyButtons(root) {
    var selector = "[data-copy]:not([data-copy-ready])";
    var targets = Array.prototype.slice.call(root.querySelectorAll(selector));
    if (root.matches && root.matches(selector)) targets.unshift(root);
    targets.forEach(function (target) {
      target.setAttribute("data-copy-ready", "");
      var label = target.getAttribute("data-copy") || "Copy";
      var wrap = document.createElement("div");
      wrap.className = "copy-actions";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-small";
      button.textContent = label;
      var status = document.createElement("span");
      status.className = "copy-status";
      status.setAttribute("role", "status");
      button.addEventListener("click", function () {
        var isField = target.tagName === "INPUT" || target.tagName === "TEXTAREA";
        var text = isField ? target.value : target.textContent;
        copyText(text.trim()).then(
          function () { status.textContent = "Copied to the clipboard."; },
          function () { status.textContent = "Could not copy: select the text and copy it by hand."; }
        );
        window.setTimeout(function () { status.textContent = ""; }, 4000);
      });
      wrap.appendChild(button);
      wrap.appendChild(status);
      target.insertAdjacentElement("afterend", wrap);
    });
  }

  function keepSidebarOpen() {
    var nav = document.querySelector(".shell.has-nav > .nav-toggle");
    if (!nav || !window.matchMedia) return;
    var wide = window.matchMedia("(min-width: 60rem)");
    function sync() { if (wide.matches) nav.open = true; }
    sync();
    if (wide.addEventListener) wide.addEventListener("change", sync);
  }

  function confirmForms() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement)) return;
      var question = form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) event.preventDefault();
    });
  }

  function pollOnlyWhenVisible() {
    document.addEventListener("htmx:beforeRequest", function (event) {
      var source = event.detail && event.detail.elt;
      if (document.hidden && source && source.hasAttribute("data-poll-when-visible")) {
        event.preventDefault();
      }
    });
  }

  // A map without tiles has no streets to go by: name the marker with a text label (a text
  // node, never markup); always (`permanent`) when the map has few, else on hover and focus,
  // as hundreds of labels would hide each other.
  function nameOnPlainMap(marker, name, permanent, offsetX) {
    var label = document.createElement("span");
    label.textContent = name;
    marker.bindTooltip(label, {
      permanent: permanent, direction: "right", offset: [offsetX, 0], className: "map-label",
    });
  }
  window.nearbox = { nameOnPlainMap: nameOnPlainMap };

  function init() {
    addCopyButtons(document);
    keepSidebarOpen();
    confirmForms();
    pollOnlyWhenVisible();
    // Content swapped in by htmx gets the same enhancements.
    document.body.addEventListener("htmx:load", function (event) {
      addCopyButtons(event.target && event.target.querySelectorAll ? event.target : document);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
