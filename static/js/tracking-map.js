/* The live courier on the shopper's tracking page: a marker for the courier and one for the
 * drop-off, on the map #courier-map.
 *
 * The position comes with the status fragment that htmx refreshes (#live-courier's data-lat,
 * data-lon, data-dropoff-lat, data-dropoff-lon, data-name), so no request of its own is made
 * and no inline script is needed. The map element carries hx-preserve: it survives the swaps,
 * and after each swap the marker moves to the new position. Tiles are drawn only when the
 * server gives a tile URL (NEARBOX_MAP_TILES_URL); otherwise the markers sit on a plain
 * background. The marker's position is mirrored on the map element (data-courier-lat/-lon)
 * for people who debug the page and for the browser test.
 */
(function () {
  "use strict";

  var state = { el: null, map: null, courier: null, dropoff: null };

  function icon(className) {
    return L.divIcon({ className: className, iconSize: [18, 18], iconAnchor: [9, 9] });
  }

  function label(marker, text) {
    var span = document.createElement("span");
    span.textContent = text; // a courier's name is data, never markup
    marker.bindTooltip(span, { permanent: true, direction: "right", offset: [10, 0] });
  }

  function number(value) {
    var parsed = parseFloat(value);
    return isFinite(parsed) ? parsed : null;
  }

  function start(el) {
    var map = L.map(el, { scrollWheelZoom: false, zoomControl: true });
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 19 }).addTo(map);
    }
    state = { el: el, map: map, courier: null, dropoff: null };
  }

  function update() {
    var info = document.getElementById("live-courier");
    var el = document.getElementById("courier-map");
    if (!info || !el || !window.L) return;
    var lat = number(info.dataset.lat);
    var lon = number(info.dataset.lon);
    if (lat === null || lon === null) return;
    if (state.el !== el) start(el);
    var at = L.latLng(lat, lon);
    var fit = false;
    if (!state.courier) {
      var name = info.dataset.name || "Your courier";
      state.courier = L.marker(at, {
        icon: icon("courier-marker"), title: name, alt: name, keyboard: false,
      }).addTo(state.map);
      label(state.courier, name);
      fit = true;
    } else {
      state.courier.setLatLng(at);
    }
    var dropLat = number(info.dataset.dropoffLat);
    var dropLon = number(info.dataset.dropoffLon);
    if (!state.dropoff && dropLat !== null && dropLon !== null) {
      state.dropoff = L.marker([dropLat, dropLon], {
        icon: icon("dropoff-marker"), title: "Delivery address", alt: "Delivery address",
        keyboard: false,
      }).addTo(state.map);
      fit = true;
    }
    var view = safeBounds(state.map);
    if (fit || !view || !view.contains(at)) {
      var bounds = L.latLngBounds([at]);
      if (state.dropoff) bounds.extend(state.dropoff.getLatLng());
      state.map.fitBounds(bounds.pad(0.3), { maxZoom: 16 });
    }
    el.setAttribute("data-courier-lat", String(lat));
    el.setAttribute("data-courier-lon", String(lon));
    el.setAttribute("data-ready", "true");
  }

  function safeBounds(map) {
    try {
      return map.getBounds(); // throws before the map has a view
    } catch (err) {
      return null;
    }
  }

  document.addEventListener("htmx:afterSettle", update);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", update);
  } else {
    update();
  }
})();
