/* The Analytics page's ZIP map of failed delivery attempts: one circle per ZIP at its
 * centroid (from the bundled gazetteer, server side), larger with more attempts, darker red
 * with a higher failure rate. Data comes from the page (json_script #analytics-map-data).
 * A click opens the ZIP's figures; without tiles the ZIP is written beside its circle.
 * The report fragment is swapped by htmx when the filters change, so the map is drawn again
 * after each swap. Tooltips get elements with textContent, never strings (Leaflet inserts a
 * string as HTML).
 */
(function () {
  "use strict";

  var COLOURS = [
    [0.15, "#b91c1c"],
    [0.05, "#d97706"],
    [0, "#15803d"],
  ];

  function colour(rate) {
    for (var i = 0; i < COLOURS.length; i++) if (rate >= COLOURS[i][0]) return COLOURS[i][1];
    return COLOURS[COLOURS.length - 1][1];
  }

  function draw() {
    var el = document.getElementById("analytics-map");
    var source = document.getElementById("analytics-map-data");
    if (!el || !source || !window.L || el.dataset.drawn) return;
    el.dataset.drawn = "1";
    var points = JSON.parse(source.textContent);
    // SVG circles (not canvas): at most 100 ZIPs, and each one a real element.
    var map = L.map(el, { scrollWheelZoom: false });
    var tiles = el.dataset.tiles;
    if (tiles) L.tileLayer(tiles, { attribution: el.dataset.attribution || "", maxZoom: 19 }).addTo(map);
    var bounds = L.latLngBounds([]);
    var few = points.length <= 30;
    points.forEach(function (p) {
      var marker = L.circleMarker([p.lat, p.lon], {
        radius: p.radius,
        weight: 1,
        color: tiles ? "#fff" : "#1f2937",
        fillColor: colour(p.rate),
        fillOpacity: 0.75,
      });
      var text = p.zip + ": " + p.failed + " failed of " + p.attempts + " attempts (" +
        (p.rate * 100).toFixed(1) + "%)";
      var label = document.createElement("span");
      label.textContent = text;
      marker.bindPopup(label).addTo(map);
      bounds.extend([p.lat, p.lon]);
      if (!tiles && window.nearbox) window.nearbox.nameOnPlainMap(marker, p.zip, few, p.radius + 2);
    });
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 13 });
    else map.setView([41.88, -87.63], 10);
    L.control.scale().addTo(map);
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
