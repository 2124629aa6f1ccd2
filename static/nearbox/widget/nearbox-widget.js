/* Nearbox pickup widget: one <script> tag on any checkout page.
 *
 *   <script src="https://nearbox.example/pickup/widget/nearbox-widget.js"
 *           data-key="nbx_pk_…" data-target="#delivery" data-form="#checkout"
 *           data-cart="MUG-CLASSIC:2" data-locale="pl"></script>
 *
 * Renders inside an open Shadow DOM on the target element, so neither page can restyle the
 * other. The API base is the origin of this script's own src. The shopper's choice fires
 * `nearbox:select` on the target and is written into hidden inputs of the form; choosing a
 * locker first holds a compartment (POST /api/v1/reservations).
 *
 * Served as a static file it uses the defaults below; served by Django
 * (/pickup/widget/nearbox-widget.js) the server fills SERVER_CONFIG (tile URL setting,
 * static URLs) and prepends the strings file.
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
  var OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
  var WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

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
    parcel: {
      weight_g: script.dataset.weightG,
      length_mm: script.dataset.lengthMm,
      width_mm: script.dataset.widthMm,
      height_mm: script.dataset.heightMm,
    },
    limit: script.dataset.limit || "5",
    tileUrl:
      script.dataset.tileUrl !== undefined
        ? script.dataset.tileUrl
        : "tileUrl" in SERVER_CONFIG
          ? SERVER_CONFIG.tileUrl
          : OSM_TILES,
    tileAttribution: SERVER_CONFIG.tileAttribution || "© OpenStreetMap contributors",
    css: asset(SERVER_CONFIG.css, "nearbox-widget.css"),
    strings: asset(SERVER_CONFIG.strings, "nearbox-widget-i18n.js"),
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

  function strings() {
    if (registry.strings) return Promise.resolve(registry.strings);
    registry.stringsLoading =
      registry.stringsLoading ||
      loadScript(config.strings).then(function () {
        return registry.strings || {};
      });
    return registry.stringsLoading.catch(function () {
      return {};
    });
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

  // --- formatting --------------------------------------------------------------------------

  function Translator(tables, locale) {
    var lang = String(locale).toLowerCase().split("-")[0];
    var table = tables[lang] || tables.en || {};
    var english = tables.en || {};
    var plurals = new Intl.PluralRules(tables[lang] ? locale : "en");
    var intlLocale = tables[lang] ? locale : "en";

    function fill(text, values) {
      return String(text).replace(/\{(\w+)\}/g, function (_, name) {
        return values && values[name] !== undefined ? values[name] : "";
      });
    }
    return {
      lang: tables[lang] ? lang : "en",
      locale: intlLocale,
      t: function (key, values) {
        var text = table[key] !== undefined ? table[key] : english[key];
        if (text === undefined) return key;
        if (typeof text === "object") text = text[plurals.select(values.n)] || text.other;
        return fill(text, values);
      },
    };
  }

  // Times in the API carry the place's UTC offset: show the wall-clock time at the place.
  function wallClock(iso) {
    var m = /^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d))?/.exec(iso || "");
    if (!m) return null;
    return {
      date: new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0))),
      hasTime: m[4] !== undefined,
    };
  }

  function formatters(locale) {
    var moment = new Intl.DateTimeFormat(locale, {
      weekday: "short",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      timeZone: "UTC",
    });
    var day = new Intl.DateTimeFormat(locale, {
      weekday: "short",
      day: "numeric",
      month: "short",
      timeZone: "UTC",
    });
    var clock = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" });
    var number = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
    return {
      price: function (price) {
        if (!price || typeof price.amount !== "number") return "";
        var money = new Intl.NumberFormat(locale, { style: "currency", currency: price.currency });
        var digits = money.resolvedOptions().maximumFractionDigits;
        return money.format(price.amount / Math.pow(10, digits));
      },
      distance: function (metres) {
        if (typeof metres !== "number") return "";
        return metres < 1000
          ? number.format(Math.round(metres / 10) * 10) + " m"
          : number.format(metres / 1000) + " km";
      },
      moment: function (iso) {
        var parsed = wallClock(iso);
        return parsed ? moment.format(parsed.date) : "";
      },
      window: function (eta) {
        if (!eta) return "";
        var from = wallClock(eta.from);
        var until = wallClock(eta.until);
        if (!from && !until) return "";
        if (!from || !until || from.date.getTime() === until.date.getTime() || !day.formatRange) {
          return day.format((from || until).date);
        }
        return day.formatRange(from.date, until.date);
      },
      clock: function (iso) {
        return clock.format(new Date(iso));
      },
    };
  }

  function todaysHours(option, t) {
    if (option.open_24_7) return t("open247");
    var hours = option.opening_hours;
    if (!hours || !Object.keys(hours).length) return ""; // hours not given: say nothing
    var periods = hours[WEEKDAYS[new Date().getDay()]] || [];
    if (!periods.length) return t("closedToday");
    return t("hoursToday", {
      hours: periods
        .map(function (p) {
          return p[0] + "–" + p[1];
        })
        .join(", "),
    });
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
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function Widget(host, tables) {
    var i18n = Translator(tables, config.locale);
    var t = i18n.t;
    var fmt = formatters(i18n.locale);
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
    var map = null;
    var markers = {};

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
          var box = el("input", { type: "checkbox", name: pair[0], checked: state.filters[pair[0]] });
          filterInputs[pair[0]] = box;
          return el("label", { class: "nbx-filter" }, [box, el("span", { text: t(pair[1]) })]);
        })
      )
    );
    var status = el("p", { class: "nbx-status", role: "status", "aria-live": "polite" });
    var errorText = el("span");
    var retry = el("button", { type: "button", class: "nbx-link", text: t("retry"), hidden: true });
    var error = el("div", { class: "nbx-error", role: "alert", hidden: true }, [errorText, " ", retry]);
    var list = el("div", { class: "nbx-list", role: "listbox", "aria-label": t("options") });
    var mapBox = el("div", { class: "nbx-map", role: "region", "aria-label": t("map") });
    var chosenLine = el("p", { class: "nbx-chosen", "aria-live": "polite" });
    var wrapper = el("div", { class: "nbx", lang: i18n.lang, part: "widget" }, [
      el("div", { class: "nbx-search", role: "search", "aria-label": t("title") }, [
        el("label", { class: "nbx-label", for: "nbx-postcode", text: t("postcode") }),
        el("div", { class: "nbx-row" }, [postcode, locate]),
        hint,
      ]),
      filters,
      status,
      error,
      el("div", { class: "nbx-body" }, [list, mapBox]),
      chosenLine,
    ]);
    root.replaceChildren(bootStyle, leafletCss, css, wrapper);

    // --- requests --------------------------------------------------------------------------

    function apiUrl(path, params) {
      var url = new URL(config.apiBase + path);
      url.searchParams.set("key", config.key);
      Object.keys(params || {}).forEach(function (name) {
        var value = params[name];
        if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
      });
      return url.href;
    }

    function parcelParams() {
      return config.cart ? { cart: config.cart } : Object.assign({}, config.parcel);
    }

    function parcelBody() {
      if (!config.cart) {
        var body = {};
        Object.keys(config.parcel).forEach(function (name) {
          if (config.parcel[name]) body[name] = Number(config.parcel[name]);
        });
        return body;
      }
      return {
        cart: config.cart.split(",").map(function (line) {
          var parts = line.split(":");
          return { sku: parts[0].trim(), quantity: Number(parts[1] || 1) };
        }),
      };
    }

    // A JSON problem's `detail` when the API gave one; a network failure becomes null.
    function send(url, options) {
      return fetch(url, options).then(
        function (response) {
          return response
            .json()
            .catch(function () {
              return {};
            })
            .then(function (body) {
              if (response.ok) return body;
              var failure = new Error(body.detail || response.statusText || String(response.status));
              failure.problem = body;
              failure.status = response.status;
              throw failure;
            });
        },
        function (cause) {
          if (cause && cause.name === "AbortError") throw cause;
          return explainFailure();
        }
      );
    }

    // The API refuses a wrong key or a foreign origin without CORS headers, which the
    // browser reports like a network failure; the key check says which it was.
    function explainFailure() {
      var url = new URL(config.keyCheck);
      url.searchParams.set("key", config.key);
      return fetch(url.href)
        .then(function (response) {
          return response.json();
        })
        .catch(function () {
          return { status: 0 };
        })
        .then(function (check) {
          var refused = check.status === 401 || check.status === 403;
          var failure = new Error(refused ? check.detail : t("networkError"));
          failure.network = !refused;
          failure.problem = refused ? check : null;
          throw failure;
        });
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
      var params = Object.assign(
        { country: config.country, limit: config.limit },
        parcelParams(),
        query.postal_code ? { postal_code: query.postal_code } : { lat: query.lat, lon: query.lon }
      );
      send(apiUrl("/delivery-options", params), { signal: state.controller.signal })
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
          showError(failure.message, Boolean(failure.network));
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
      return !(state.filters.open && option.kind !== "home" && option.item.open_now === false);
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
        var hours = todaysHours(o, t);
        if (hours) facts.push(hours);
        if (o.open_now === true && !o.open_24_7) facts.push(t("openNowBadge"));
        if (o.open_now === false) facts.push(t("closedNow"));
        if (o.ready_by) facts.push(t("readyBy", { time: fmt.moment(o.ready_by) }));
        if (o.compartment_size) facts.push(t("compartment", { size: o.compartment_size }));
      }
      return facts;
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
      var focusedKey = root.activeElement && root.activeElement.dataset && root.activeElement.dataset.key;
      var groups = ["home", "locker", "shop"].map(function (kind) {
        var rows = shown.filter(function (o) {
          return o.kind === kind;
        });
        if (!rows.length) return null;
        var title = el("div", { id: "nbx-group-" + kind, class: "nbx-group-title", role: "presentation", text: t(kind) });
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
      state.chosen = { key: option.key, kind: option.kind };
      state.pending = null;
      writeInputs({
        kind: option.kind,
        ref: option.ref,
        service: option.kind === "home" ? option.id : "",
        token: reservation ? reservation.token : "",
      });
      chosenLine.textContent = reservation
        ? t("held", { name: option.name, time: fmt.clock(reservation.expires_at) })
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
      if (state.pending) return;
      clearError();
      if (option.kind !== "locker") {
        settle(option, null);
        return;
      }
      state.pending = option.key;
      chosenLine.textContent = t("holding", { name: option.name });
      render();
      var body = Object.assign({ bank_id: option.id }, parcelBody());
      send(apiUrl("/reservations"), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      })
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
          showError(failure.message, false);
        });
    }

    // --- keyboard: one tab stop for the list, arrows move, Enter/Space choose -------------

    list.addEventListener("keydown", function (event) {
      var nodes = optionNodes();
      var index = nodes.indexOf(root.activeElement);
      if (index < 0) return;
      var next = null;
      if (event.key === "ArrowDown" || event.key === "ArrowRight") next = nodes[Math.min(index + 1, nodes.length - 1)];
      else if (event.key === "ArrowUp" || event.key === "ArrowLeft") next = nodes[Math.max(index - 1, 0)];
      else if (event.key === "Home") next = nodes[0];
      else if (event.key === "End") next = nodes[nodes.length - 1];
      else if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        var key = nodes[index].dataset.key;
        var option = optionsOf(state.data).find(function (o) {
          return o.key === key;
        });
        if (option) choose(option);
        return;
      }
      if (!next) return;
      event.preventDefault();
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
          search({ lat: position.coords.latitude.toFixed(5), lon: position.coords.longitude.toFixed(5) });
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

    Object.keys(filterInputs).forEach(function (name) {
      filterInputs[name].addEventListener("change", function () {
        state.filters[name] = filterInputs[name].checked;
        render();
      });
    });

    // --- the map (a visual aid: every choice is also in the list) --------------------------

    var COLORS = { locker: "--nearbox-accent", shop: "--nearbox-shop" };

    function drawMap(shown) {
      if (!map) return;
      var L = map.nearboxL;
      map.nearboxLayer.clearLayers();
      markers = {};
      var bounds = L.latLngBounds([]);
      var styles = getComputedStyle(wrapper);
      shown.forEach(function (option) {
        if (option.kind === "home") return;
        var o = option.item;
        var color = styles.getPropertyValue(COLORS[option.kind]).trim() || "#1f5fd1";
        var chosen = state.chosen && state.chosen.key === option.key;
        var marker = L.circleMarker([o.lat, o.lon], {
          radius: chosen ? 11 : 8,
          color: "#fff",
          weight: 2,
          fillColor: color,
          fillOpacity: chosen ? 1 : 0.85,
          className: "nbx-marker nbx-marker--" + option.kind,
        });
        marker.bindTooltip(option.name);
        marker.on("click", function () {
          choose(option);
        });
        marker.addTo(map.nearboxLayer);
        markers[option.key] = marker;
        bounds.extend([o.lat, o.lon]);
      });
      var dest = state.data && state.data.destination;
      if (dest && typeof dest.lat === "number") {
        L.circleMarker([dest.lat, dest.lon], {
          radius: 6,
          color: "#fff",
          weight: 2,
          fillColor: "#222",
          fillOpacity: 1,
          className: "nbx-marker nbx-marker--destination",
          interactive: false,
        }).addTo(map.nearboxLayer);
        bounds.extend([dest.lat, dest.lon]);
      }
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
    }

    leaflet()
      .then(function (L) {
        map = L.map(mapBox, { keyboard: false, scrollWheelZoom: false, attributionControl: true });
        map.nearboxL = L;
        map.nearboxLayer = L.layerGroup().addTo(map);
        map.setView([41.88, -87.63], 11);
        if (config.tileUrl) {
          L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
        }
        mapBox.removeAttribute("tabindex"); // the list is the keyboard path, not the map pane
        new ResizeObserver(function () {
          map.invalidateSize();
        }).observe(mapBox);
        mapBox.dataset.ready = "true";
        render();
      })
      .catch(function () {
        mapBox.hidden = true; // the list alone is enough to choose
      });

    var initial = (script.dataset.postcode || "").trim();
    if (initial) {
      postcode.value = initial;
      postcodeChanged(true);
    }
  }

  function start() {
    var host = config.target ? document.querySelector(config.target) : null;
    if (!host) {
      host = document.createElement("div");
      script.insertAdjacentElement("afterend", host);
    }
    strings().then(function (tables) {
      var problem = !config.key
        ? "data-key"
        : !config.cart && !config.parcel.weight_g
          ? "noParcel"
          : config.target && !document.querySelector(config.target)
            ? "noTarget"
            : null;
      if (problem) {
        var t = Translator(tables, config.locale).t;
        var root = host.shadowRoot || host.attachShadow({ mode: "open" });
        var note = document.createElement("p");
        note.setAttribute("role", "alert");
        note.style.cssText = "color:#b42318;font:14px system-ui,sans-serif";
        note.textContent = t("setupError", { detail: problem === "data-key" ? "data-key" : t(problem) });
        root.replaceChildren(note);
        return;
      }
      Widget(host, tables);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
