/* Nearbox pickup widget: one <script> tag on any checkout page.
 *
 *   <script src="https://nearbox.example/pickup/widget/nearbox-widget.js"
 *           data-key="nbx_pk_…" data-target="#delivery" data-form="#checkout"
 *           data-cart="MUG-CLASSIC:2" data-locale="pl"></script>
 *
 * Optional data-street-input, data-unit-input, data-company-input: selectors of the page's own
 * address fields, sent with each search for the address risk (a locker first, with the reason,
 * where home deliveries often fail).
 *
 * Renders inside an open Shadow DOM on the target element, so neither page can restyle the
 * other. The API base is the origin of this script's own src. The shopper's choice fires
 * `nearbox:select` on the target and is written into hidden inputs of the form; choosing a
 * locker first holds a compartment (POST /api/v1/reservations).
 *
 * Served as a static file it uses the defaults below and loads its modules from beside
 * itself; served by Django (/pickup/widget/nearbox-widget.js) the server fills SERVER_CONFIG
 * (tile URL setting, static URLs) and prepends the modules, so it is one request.
 */
(function () {
  "use strict";

  var SERVER_CONFIG = /*nearbox:config*/ {};
  var REGISTRY_KEY = Symbol.for("nearbox.widget");
  var DEBOUNCE_MS = 350;
  var MIN_POSTCODE = 3;
  var FIELDS = {
    kind: "nearbox_delivery_kind",
    ref: "nearbox_pickup_location_ref",
    service: "nearbox_service_id",
    token: "nearbox_reservation_token",
  };
  // The hidden input carries the order API's `delivery.kind`, so a shop can pass it on as is.
  var ORDER_KIND = { home: "home", locker: "locker", shop: "pickup_shop" };
  var OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";

  var script =
    document.currentScript ||
    Array.prototype.slice.call(document.querySelectorAll("script[src*='nearbox-widget']")).pop();
  if (!script) return;
  var scriptUrl = new URL(script.src, document.baseURI);
  var registry = (window[REGISTRY_KEY] = window[REGISTRY_KEY] || {});

  function asset(configured, fallback) {
    return new URL(configured || fallback, scriptUrl).href;
  }

  var config = {
    apiBase: scriptUrl.origin + "/api/v1",
    key: script.dataset.key || "",
    target: script.dataset.target || "",
    form: script.dataset.form || "",
    locale: script.dataset.locale || navigator.language || "en",
    country: script.dataset.country || "US",
    cart: (script.dataset.cart || "").trim(),
    value: (script.dataset.value || "").trim(),
    tags: (script.dataset.tags || "").trim(),
    parcel: {
      weight_g: script.dataset.weightG,
      length_mm: script.dataset.lengthMm,
      width_mm: script.dataset.widthMm,
      height_mm: script.dataset.heightMm,
    },
    limit: script.dataset.limit || "5",
    // The host page's own address fields (CSS selectors), read for the address risk (#20).
    addressInputs: {
      street: script.dataset.streetInput || "",
      unit: script.dataset.unitInput || "",
      company: script.dataset.companyInput || "",
    },
    tileUrl:
      script.dataset.tileUrl !== undefined
        ? script.dataset.tileUrl
        : "tileUrl" in SERVER_CONFIG
          ? SERVER_CONFIG.tileUrl
          : OSM_TILES,
    tileAttribution: SERVER_CONFIG.tileAttribution || "© OpenStreetMap contributors",
    css: asset(SERVER_CONFIG.css, "nearbox-widget.css"),
    i18n: asset(SERVER_CONFIG.i18n, "nearbox-widget-i18n.js"),
    map: asset(SERVER_CONFIG.map, "nearbox-widget-map.js"),
    api: asset(SERVER_CONFIG.api, "nearbox-widget-api.js"),
    leafletJs: asset(SERVER_CONFIG.leafletJs, "../../vendor/leaflet-1.9.4/leaflet.js"),
    leafletCss: asset(SERVER_CONFIG.leafletCss, "../../vendor/leaflet-1.9.4/leaflet.css"),
    keyCheck: asset(SERVER_CONFIG.keyCheck, scriptUrl.origin + "/pickup/widget/key-check"),
  };

  // --- loading helpers (shared by every widget on the page) ---------------------------------

  function loadScript(url) {
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = url;
      tag.async = true;
      tag.onload = resolve;
      tag.onerror = function () {
        reject(new Error("could not load " + url));
      };
      document.head.appendChild(tag);
    });
  }

  // The modules beside this file (strings and formats, API client, map): already on the page
  // when Django served this script (it prepends them), else loaded from beside this file.
  var MODULES = { Translator: "i18n", NearboxApi: "api", PickupMap: "map" };

  function modules() {
    registry.modules =
      registry.modules ||
      Promise.all(
        Object.keys(MODULES).map(function (name) {
          return registry[name] ? null : loadScript(config[MODULES[name]]);
        })
      );
    return registry.modules;
  }

  // Leaflet defines window.L; give the page back whatever L it had (noConflict), so the
  // widget never replaces a host page's own Leaflet.
  function leaflet() {
    if (!registry.leaflet) {
      var hostL = window.L;
      registry.leaflet = loadScript(config.leafletJs).then(function () {
        var ours = window.L;
        if (ours && ours !== hostL) ours.noConflict();
        return ours;
      });
    }
    return registry.leaflet;
  }

  // --- the widget ---------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name === "class") node.className = value;
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (!child) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function Widget(host) {
    var i18n = registry.Translator(config.locale);
    var t = i18n.t;
    var fmt = registry.formatters(i18n.locale);
    var root = host.shadowRoot || host.attachShadow({ mode: "open" });
    var state = {
      query: null,
      data: null,
      filters: { home: true, locker: true, shop: true, open: false },
      chosen: null,
      pending: null,
      seq: 0,
      controller: null,
      timer: null,
    };

    // Hidden until our stylesheet has loaded, so the shopper never sees it unstyled.
    var bootStyle = el("style", {
      text: ":host{display:block!important;visibility:visible!important}.nbx{visibility:hidden}",
    });
    var css = el("link", { rel: "stylesheet", href: config.css });
    css.onerror = function () {
      bootStyle.textContent = ":host{display:block!important}";
    };
    var leafletCss = el("link", { rel: "stylesheet", href: config.leafletCss });

    var postcode = el("input", {
      id: "nbx-postcode",
      class: "nbx-input",
      type: "text",
      autocomplete: "postal-code",
      spellcheck: "false",
      "aria-describedby": "nbx-hint",
    });
    var locate = el("button", { type: "button", class: "nbx-button", text: t("locate") });
    var hint = el("p", { id: "nbx-hint", class: "nbx-hint", text: t("postcodeHint") });
    var filterInputs = {};
    var filters = el(
      "fieldset",
      { class: "nbx-filters" },
      [el("legend", { text: t("filters") })].concat(
        [
          ["home", "home"],
          ["locker", "locker"],
          ["shop", "shop"],
          ["open", "openNow"],
        ].map(function (pair) {
          var box = el("input", {
            type: "checkbox",
            name: pair[0],
            checked: state.filters[pair[0]],
          });
          filterInputs[pair[0]] = box;
          return el("label", { class: "nbx-filter" }, [box, el("span", { text: t(pair[1]) })]);
        })
      )
    );
    var status = el("p", { class: "nbx-status", role: "status", "aria-live": "polite" });
    var errorText = el("span");
    var retry = el("button", { type: "button", class: "nbx-link", text: t("retry"), hidden: true });
    var error = el("div", { class: "nbx-error", role: "alert", hidden: true }, [
      errorText,
      " ",
      retry,
    ]);
    var list = el("div", { class: "nbx-list", role: "listbox", "aria-label": t("options") });
    var mapBox = el("div", { class: "nbx-map", role: "region", "aria-label": t("map") });
    // Shown with the first answer: an empty map before a search helps nobody.
    var body = el("div", { class: "nbx-body", hidden: true }, [list, mapBox]);
    var chosenLine = el("p", { class: "nbx-chosen", "aria-live": "polite" });
    // Address risk (#20): why a locker or shop is listed first, when the API suggests one.
    var riskNote = el("p", { class: "nbx-risk", role: "note", hidden: true });
    var wrapper = el("div", { class: "nbx", lang: i18n.lang, part: "widget" }, [
      el("div", { class: "nbx-search", role: "search", "aria-label": t("title") }, [
        el("label", { class: "nbx-label", for: "nbx-postcode", text: t("postcode") }),
        el("div", { class: "nbx-row" }, [postcode, locate]),
        hint,
      ]),
      filters,
      status,
      error,
      riskNote,
      body,
      chosenLine,
    ]);
    root.replaceChildren(bootStyle, leafletCss, css, wrapper);

    // --- requests --------------------------------------------------------------------------

    var api = registry.NearboxApi(config);

    function explain(failure) {
      if (failure.network) return t("networkError");
      return failure.server ? t("serverError") : failure.message;
    }

    function showError(message, canRetry) {
      errorText.textContent = message;
      retry.hidden = !canRetry;
      error.hidden = false;
    }

    function clearError() {
      error.hidden = true;
      errorText.textContent = "";
    }

    function search(query) {
      state.query = query;
      state.seq += 1;
      var seq = state.seq;
      if (state.controller) state.controller.abort();
      state.controller = new AbortController();
      status.textContent = t("searching");
      list.setAttribute("aria-busy", "true");
      api
        .options(query, state.controller.signal)
        .then(function (data) {
          if (seq !== state.seq) return;
          clearError();
          state.data = data;
          render();
        })
        .catch(function (failure) {
          if (seq !== state.seq || failure.name === "AbortError") return;
          state.data = null;
          render();
          status.textContent = "";
          showError(explain(failure), failure.network || failure.server);
        })
        .finally(function () {
          if (seq === state.seq) list.removeAttribute("aria-busy");
        });
    }

    // --- rendering -------------------------------------------------------------------------

    function optionsOf(data) {
      if (!data) return [];
      var home = (data.home || []).map(function (o) {
        return { kind: "home", key: "home:" + o.id, id: o.id, ref: null, name: o.service, item: o };
      });
      function places(kind, rows) {
        return (rows || []).map(function (o) {
          return { kind: kind, key: o.ref, id: o.id, ref: o.ref, name: o.name, item: o };
        });
      }
      return home.concat(places("locker", data.lockers), places("shop", data.shops));
    }

    function visible(option) {
      if (!state.filters[option.kind]) return false;
      // "Open now" keeps the places known to be open: unknown hours (null) are left out too.
      return !(state.filters.open && option.kind !== "home" && option.item.open_now !== true);
    }

    function describe(option) {
      var o = option.item;
      var facts = [];
      if (option.kind === "home") {
        if (o.courier) facts.push(o.courier);
        var when = fmt.window(o.eta);
        if (when) facts.push(t("arrives", { when: when }));
      } else {
        facts.push(t("away", { distance: fmt.distance(o.distance_m) }));
        var hours = registry.todaysHours(o, t);
        if (hours) facts.push(hours);
        if (o.open_now === true && !o.open_24_7) facts.push(t("openNowBadge"));
        if (o.open_now === false) facts.push(t("closedNow"));
        if (o.ready_by) facts.push(t("readyBy", { time: fmt.moment(o.ready_by) }));
        if (o.compartment_size) facts.push(t("compartment", { size: o.compartment_size }));
      }
      return facts;
    }

    function riskText(suggestion) {
      var reason = t("risk_" + (suggestion.reason || "generic"));
      if (reason === "risk_" + suggestion.reason) reason = t("risk_generic");
      return t("riskSuggestion", {
        reason: reason,
        place: t(suggestion.kind === "locker" ? "riskLocker" : "riskShop"),
        distance: fmt.distance(suggestion.distance_m),
        days: suggestion.hold_days,
      });
    }

    function optionNode(option, index) {
      var o = option.item;
      var selected = state.chosen && state.chosen.key === option.key;
      var node = el(
        "div",
        {
          role: "option",
          id: "nbx-option-" + index,
          class: "nbx-option nbx-option--" + option.kind,
          "aria-selected": selected ? "true" : "false",
          "aria-busy": state.pending === option.key ? "true" : null,
          "data-kind": option.kind,
          "data-key": option.key,
          tabindex: "-1",
        },
        [
          el("span", { class: "nbx-option-name", text: option.name }),
          el("span", { class: "nbx-option-price", text: fmt.price(o.price) }),
          el("span", { class: "nbx-option-facts", text: describe(option).join(" · ") }),
          o.address ? el("span", { class: "nbx-option-address", text: o.address }) : null,
        ]
      );
      node.addEventListener("click", function () {
        choose(option);
      });
      return node;
    }

    function render() {
      var all = optionsOf(state.data);
      var shown = all.filter(visible);
      var focused = root.activeElement;
      var focusedKey = focused && focused.dataset ? focused.dataset.key : undefined;
      var suggestion = state.data && state.data.risk && state.data.risk.suggestion;
      var kinds = ["home", "locker", "shop"];
      if (suggestion) {
        // A home delivery here is likely to fail: the suggested place's group comes first.
        kinds = [suggestion.kind].concat(kinds.filter(function (k) {
          return k !== suggestion.kind;
        }));
      }
      riskNote.hidden = !suggestion;
      riskNote.textContent = suggestion ? riskText(suggestion) : "";
      var groups = kinds.map(function (kind) {
        var rows = shown.filter(function (o) {
          return o.kind === kind;
        });
        if (!rows.length) return null;
        // Names the group (aria-labelledby) without being read again as a stray list item.
        var title = el("div", {
          id: "nbx-group-" + kind,
          class: "nbx-group-title",
          "aria-hidden": "true",
          text: t(kind),
        });
        return el(
          "div",
          { role: "group", class: "nbx-group", "aria-labelledby": "nbx-group-" + kind },
          [title].concat(
            rows.map(function (o) {
              return optionNode(o, shown.indexOf(o));
            })
          )
        );
      });
      list.replaceChildren.apply(
        list,
        groups.filter(Boolean)
      );
      var nodes = optionNodes();
      var current =
        nodes.find(function (n) {
          return n.dataset.key === focusedKey;
        }) ||
        nodes.find(function (n) {
          return n.getAttribute("aria-selected") === "true";
        }) ||
        nodes[0];
      if (current) current.tabIndex = 0;
      if (focusedKey && current && current.dataset.key === focusedKey) current.focus();

      if (!state.data) status.textContent = "";
      else if (!all.length) {
        var place = state.query.postal_code || t("myLocation");
        status.textContent = t("none", { place: place });
      } else if (!shown.length) status.textContent = t("noneFiltered");
      else status.textContent = t("results", { n: shown.length });
      body.hidden = !state.data;
      drawMap(shown);
    }

    function optionNodes() {
      return Array.prototype.slice.call(list.querySelectorAll("[role=option]"));
    }

    // --- choosing --------------------------------------------------------------------------

    function hostForm() {
      if (config.form) return document.querySelector(config.form);
      return host.closest("form");
    }

    function writeInputs(values) {
      var form = hostForm();
      if (!form) return;
      Object.keys(FIELDS).forEach(function (field) {
        var name = FIELDS[field];
        var input = form.querySelector("input[name='" + name + "']");
        if (!input) {
          input = document.createElement("input");
          input.type = "hidden";
          input.name = name;
          form.appendChild(input);
        }
        input.value = values[field] || "";
      });
    }

    function settle(option, reservation) {
      // The shopper moved on from a held locker: free that compartment now, not at expiry.
      var previous = state.chosen && state.chosen.token;
      if (previous) api.release(previous).catch(function () {});
      state.chosen = {
        key: option.key,
        kind: option.kind,
        token: reservation ? reservation.token : "",
      };
      state.pending = null;
      writeInputs({
        kind: ORDER_KIND[option.kind],
        ref: option.ref,
        service: option.kind === "home" ? option.id : "",
        token: reservation ? reservation.token : "",
      });
      // Minutes, not a clock time: the shopper's zone may not be the place's.
      function minutesLeft(iso) {
        return Math.max(1, Math.round((new Date(iso) - Date.now()) / 60000));
      }
      chosenLine.textContent = reservation
        ? t("held", { name: option.name, minutes: minutesLeft(reservation.expires_at) })
        : t("chosen", { name: option.name });
      render();
      host.dispatchEvent(
        new CustomEvent("nearbox:select", {
          bubbles: true,
          composed: true,
          detail: {
            kind: option.kind,
            ref: option.ref,
            id: option.id,
            name: option.name,
            price: option.item.price || null,
            reservation: reservation || null,
          },
        })
      );
    }

    function choose(option) {
      // One hold at a time, and choosing the held locker again must not hold a second one.
      if (state.pending || (state.chosen && state.chosen.key === option.key)) return;
      clearError();
      if (option.kind !== "locker") {
        settle(option, null);
        return;
      }
      state.pending = option.key;
      chosenLine.textContent = t("holding", { name: option.name });
      render();
      api
        .reserve(option.id)
        .then(function (reservation) {
          settle(option, {
            id: reservation.id,
            token: reservation.token,
            expires_at: reservation.expires_at,
            compartment_size: reservation.compartment_size,
          });
        })
        .catch(function (failure) {
          state.pending = null;
          chosenLine.textContent = "";
          render();
          showError(explain(failure), false);
        });
    }

    // --- keyboard: one tab stop for the list, arrows move, Enter/Space choose -------------

    list.addEventListener("keydown", function (event) {
      var nodes = optionNodes();
      var index = nodes.indexOf(root.activeElement);
      if (index < 0) return;
      var next = null;
      var pressed = event.key;
      if (pressed === "ArrowDown" || pressed === "ArrowRight") next = nodes[index + 1];
      else if (pressed === "ArrowUp" || pressed === "ArrowLeft") next = nodes[index - 1];
      else if (pressed === "Home") next = nodes[0];
      else if (pressed === "End") next = nodes[nodes.length - 1];
      else if (pressed === "Enter" || pressed === " ") {
        event.preventDefault();
        var key = nodes[index].dataset.key;
        var option = optionsOf(state.data).find(function (o) {
          return o.key === key;
        });
        if (option) choose(option);
        return;
      }
      if (pressed.indexOf("Arrow") === 0 || pressed === "Home" || pressed === "End") {
        event.preventDefault(); // no page scroll, even at either end of the list
      }
      if (!next) return;
      nodes.forEach(function (n) {
        n.tabIndex = n === next ? 0 : -1;
      });
      next.focus();
      next.scrollIntoView({ block: "nearest" });
    });

    // --- search input, location, filters ---------------------------------------------------

    function postcodeChanged(now) {
      clearTimeout(state.timer);
      var value = postcode.value.trim();
      if (value.length < MIN_POSTCODE) return;
      if (state.query && state.query.postal_code === value && state.data && !now) return;
      state.timer = setTimeout(
        function () {
          search({ postal_code: value });
        },
        now ? 0 : DEBOUNCE_MS
      );
    }

    postcode.addEventListener("input", function () {
      postcodeChanged(false);
    });
    postcode.addEventListener("keydown", function (event) {
      // The input is not in the host form's tree, but a host may listen for Enter itself.
      if (event.key === "Enter") {
        event.preventDefault();
        postcodeChanged(true);
      }
    });

    locate.addEventListener("click", function () {
      clearError();
      if (!navigator.geolocation) {
        showError(t("locateUnsupported"), false);
        return;
      }
      status.textContent = t("locating");
      navigator.geolocation.getCurrentPosition(
        function (position) {
          var coords = position.coords;
          search({ lat: coords.latitude.toFixed(5), lon: coords.longitude.toFixed(5) });
        },
        function (failure) {
          status.textContent = "";
          showError(t("locateFailed", { reason: failure.message || failure.code }), false);
        },
        { timeout: 10000, maximumAge: 300000 }
      );
    });

    retry.addEventListener("click", function () {
      if (state.query) search(state.query);
    });

    // The address risk reads the host's street/unit/company fields: ask again when they change.
    Object.keys(config.addressInputs).forEach(function (name) {
      var selector = config.addressInputs[name];
      var input = selector ? document.querySelector(selector) : null;
      if (!input) return;
      input.addEventListener("change", function () {
        if (state.query) search(state.query);
      });
    });

    Object.keys(filterInputs).forEach(function (name) {
      filterInputs[name].addEventListener("change", function () {
        state.filters[name] = filterInputs[name].checked;
        render();
      });
    });

    // --- the map (loaded beside the list; the list alone is enough to choose) ------------

    var pickupMap = null;

    function drawMap(shown) {
      if (!pickupMap) return;
      pickupMap.draw(
        shown.filter(function (o) {
          return o.kind !== "home";
        }),
        state.data && state.data.destination,
        state.chosen && state.chosen.key
      );
    }

    leaflet()
      .then(function (L) {
        pickupMap = registry.PickupMap(L, mapBox, {
          tileUrl: config.tileUrl,
          tileAttribution: config.tileAttribution,
          noTilesText: t("noTiles"),
          onChoose: choose,
        });
        mapBox.dataset.ready = "true";
        render();
      })
      .catch(function () {
        mapBox.hidden = true;
      });

    var initial = (script.dataset.postcode || "").trim();
    if (initial) {
      postcode.value = initial;
      postcodeChanged(true);
    }
  }

  // A widget that cannot work says why, in place, instead of leaving a blank.
  function showSetupError(host, message) {
    var root = host.shadowRoot || host.attachShadow({ mode: "open" });
    var note = document.createElement("p");
    note.setAttribute("role", "alert");
    note.style.cssText = "color:#b42318;font:14px system-ui,sans-serif";
    note.textContent = message;
    root.replaceChildren(note);
  }

  function start() {
    var host = config.target ? document.querySelector(config.target) : null;
    if (!host) {
      host = document.createElement("div");
      script.insertAdjacentElement("afterend", host);
    }
    modules()
      .then(function () {
        var t = registry.Translator(config.locale).t;
        var problem = !config.key
          ? "data-key"
          : !config.cart && !config.parcel.weight_g
            ? t("noParcel")
            : config.target && !document.querySelector(config.target)
              ? t("noTarget")
              : null;
        if (problem) showSetupError(host, t("setupError", { detail: problem }));
        else Widget(host);
      })
      .catch(function () {
        var origin = scriptUrl.origin;
        showSetupError(host, "The delivery widget could not load its files from " + origin);
      });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
