/* Own-fleet maps (plan page and dispatcher board): hubs, each route in its colour (a line from
 * the hub through its stops, numbered markers), and on the board each driver's last position.
 *
 * The data is embedded by `json_script` (the element named by the map's data-map-source). When
 * htmx swaps in newer data (#fleet-map-data-update after moving a stop, or the board's polled
 * fragment carrying #dispatch-map-data), the layers are redrawn in place, keeping the view.
 * Driver markers carry data-route, data-lat and data-lon so that a test (or a person with the
 * inspector) can see where the map put them. No inline styles: colours are set through the DOM.
 */
(function () {
  "use strict";

  var maps = [];

  function paintSwatches(root) {
    (root || document).querySelectorAll(".route-swatch[data-colour]").forEach(function (el) {
      el.style.background = el.getAttribute("data-colour");
    });
  }

  function stopIcon(stop, colour) {
    var cls = "fleet-stop";
    if (stop.state && stop.state !== "pending") cls += " fleet-stop--done";
    if (stop.flagged) cls += " fleet-stop--flagged";
    var icon = L.divIcon({ className: cls, html: "", iconSize: [18, 18], iconAnchor: [9, 9] });
    return icon;
  }

  function draw(state, data) {
    var layer = state.layer;
    layer.clearLayers();
    var bounds = L.latLngBounds([]);
    (data.hubs || []).forEach(function (hub) {
      var icon = L.divIcon({ className: "fleet-hub", iconSize: [16, 16], iconAnchor: [8, 8] });
      L.marker([hub.lat, hub.lon], { icon: icon, title: hub.name, alt: hub.name, keyboard: false })
        .addTo(layer);
      bounds.extend([hub.lat, hub.lon]);
    });
    var hub = (data.hubs || [])[0];
    (data.routes || []).forEach(function (route) {
      var line = [];
      if (hub) line.push([hub.lat, hub.lon]);
      route.stops.forEach(function (stop) {
        line.push([stop.lat, stop.lon]);
        bounds.extend([stop.lat, stop.lon]);
        var label = route.driver + " · stop " + stop.seq + " · " + stop.label;
        var marker = L.marker([stop.lat, stop.lon], {
          icon: stopIcon(stop, route.colour), title: label, alt: label, keyboard: false,
        }).addTo(layer);
        var el = marker.getElement();
        if (el) {
          el.style.background = route.colour;
          el.textContent = String(stop.seq);
          el.setAttribute("data-stop", String(stop.id));
        }
      });
      if (line.length > 1) {
        L.polyline(line, { color: route.colour, weight: 3, opacity: 0.8 }).addTo(layer);
      }
      if (route.position) {
        var name = route.driver + " (now)";
        var icon = L.divIcon({ className: "fleet-driver", iconSize: [20, 20], iconAnchor: [10, 10] });
        var marker = L.marker([route.position.lat, route.position.lon], {
          icon: icon, title: name, alt: name, keyboard: false, zIndexOffset: 1000,
        }).addTo(layer);
        var el = marker.getElement();
        if (el) {
          el.style.background = route.colour;
          el.setAttribute("data-route", String(route.id));
          el.setAttribute("data-lat", String(route.position.lat));
          el.setAttribute("data-lon", String(route.position.lon));
        }
        bounds.extend([route.position.lat, route.position.lon]);
      }
    });
    return bounds;
  }

  function init(container) {
    var source = document.getElementById(container.getAttribute("data-map-source"));
    if (!source || !window.L) return;
    var data = JSON.parse(source.textContent);
    var map = L.map(container, { scrollWheelZoom: false });
    map.setView([41.88, -87.63], 11);
    if (data.tiles && data.tiles.url) {
      L.tileLayer(data.tiles.url, { attribution: data.tiles.attribution, maxZoom: 19 }).addTo(map);
    }
    L.control.scale().addTo(map);
    var state = { map: map, layer: L.layerGroup().addTo(map), container: container };
    var bounds = draw(state, data);
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [30, 30], maxZoom: 14 });
    maps.push(state);
    container.setAttribute("data-ready", "true");
  }

  function refresh() {
    paintSwatches(document);
    var update = document.getElementById("fleet-map-data-update") ||
      document.getElementById("dispatch-map-data");
    if (!update) return;
    var data = JSON.parse(update.textContent);
    maps.forEach(function (state) {
      draw(state, data);
      state.container.setAttribute("data-version", String(Date.now()));
    });
  }

  function start() {
    paintSwatches(document);
    document.querySelectorAll("[data-map-source]").forEach(init);
    document.body.addEventListener("htmx:afterSettle", refresh);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
