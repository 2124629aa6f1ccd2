/* Storage-points map: the points as markers (active, inactive, candidate) and the last
 * 90 days of order destinations as a heat layer (leaflet.heat), fitted to their bounds.
 *
 * The data is embedded in the page by `json_script` as #points-map-data, so no request is
 * made. Tiles are drawn only when the server gives a tile URL (NEARBOX_MAP_TILES_URL);
 * otherwise the layers sit on a plain background.
 */
(function () {
  "use strict";

  var STATE_LABELS = { active: "active", inactive: "inactive", candidate: "candidate" };

  function popupContent(point) {
    var wrap = document.createElement("div");
    var link = document.createElement("a");
    link.href = point.url;
    link.textContent = point.name;
    var detail = document.createElement("div");
    detail.textContent = point.kind + " · " + STATE_LABELS[point.state];
    wrap.appendChild(link);
    wrap.appendChild(detail);
    return wrap;
  }

  function init() {
    var container = document.getElementById("points-map");
    var source = document.getElementById("points-map-data");
    if (!container || !source || !window.L) return;
    var data = JSON.parse(source.textContent);
    var points = data.points || [];
    var demand = data.demand || [];

    var bounds = L.latLngBounds([]);
    points.forEach(function (p) { bounds.extend([p.lat, p.lon]); });
    demand.forEach(function (d) { bounds.extend([d[0], d[1]]); });

    var plain = !(data.tiles && data.tiles.url);
    var map = L.map(container, { scrollWheelZoom: false });
    // Layers need a view before they are added (leaflet.heat draws on add).
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [30, 30], maxZoom: 13 });
    } else {
      map.setView([39.8, -98.6], 4);
    }
    if (!plain) {
      L.tileLayer(data.tiles.url, { attribution: data.tiles.attribution, maxZoom: 19 }).addTo(map);
    }
    L.control.scale().addTo(map);

    if (demand.length && L.heatLayer) {
      var max = 1;
      demand.forEach(function (d) { if (d[2] > max) max = d[2]; });
      // leaflet.heat dims intensities by 2^(maxZoom - zoom); without tiles the map's maxZoom
      // is unbounded, so pin it to the fitted zoom to draw the data at full strength.
      L.heatLayer(demand, {
        radius: 30,
        blur: 20,
        max: max,
        maxZoom: Math.max(map.getZoom(), 1),
        minOpacity: 0.35,
      }).addTo(map);
    }

    points.forEach(function (p) {
      var icon = L.divIcon({
        className: "point-marker point-marker--" + p.state,
        iconSize: [18, 18],
        iconAnchor: [9, 9],
        popupAnchor: [0, -10],
      });
      var label = p.name + " (" + STATE_LABELS[p.state] + ")";
      var marker = L.marker([p.lat, p.lon], { icon: icon, title: label, alt: label, keyboard: true })
        .bindPopup(popupContent(p))
        .addTo(map);
      if (plain) window.nearbox.nameOnPlainMap(marker, p.name, points.length <= 30, 10);
    });
    container.setAttribute("data-ready", "true");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
