/* The pickup network map: locker banks and pickup shops as circle markers, each with a
 * popup linking to its page. Data comes from the page (json_script #pickup-map-data).
 * A static file rather than an inline script, so the Content-Security-Policy needs none.
 */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var el = document.getElementById("pickup-map");
  var source = document.getElementById("pickup-map-data");
  if (!el || !source || !window.L) return;
  var data = JSON.parse(source.textContent);
  var map = L.map(el, { scrollWheelZoom: false, preferCanvas: true });
  if (data.tiles.url) {
    L.tileLayer(data.tiles.url, { attribution: data.tiles.attribution, maxZoom: 19 }).addTo(map);
  }
  var bounds = L.latLngBounds([]);
  var few = data.lockers.length + data.shops.length <= 30;
  function add(list, colour, url) {
    list.forEach(function (p) {
      // Without tiles a white outline vanishes on the plain background: outline in dark.
      var marker = L.circleMarker([p.lat, p.lon], {
        radius: 6,
        weight: 2,
        color: data.tiles.url ? "#fff" : "#1f2937",
        fillOpacity: 0.9,
        fillColor: p.active ? colour : "#6b7280",
      });
      // An element with textContent, never a string: Leaflet puts strings in as HTML.
      var link = document.createElement("a");
      link.href = url.replace("/0/", "/" + p.id + "/");
      link.textContent = p.name;
      marker.bindPopup(link).addTo(map);
      bounds.extend([p.lat, p.lon]);
      if (!data.tiles.url) window.nearbox.nameOnPlainMap(marker, p.name, few, 8);
    });
  }
  add(data.lockers, "#1d4ed8", data.urls.locker);
  add(data.shops, "#b45309", data.urls.shop);
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 14 });
  else map.setView([41.88, -87.63], 11);
  L.control.scale().addTo(map);
});
