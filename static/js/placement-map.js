// Draws a placement plan: storage points (used by the plan or not) and the customer areas,
// each linked to the point that serves it. Data comes from the page (json_script).
// Tooltips get text nodes, never strings: Leaflet inserts a string with innerHTML, and point
// names and postcodes are typed by people.
document.addEventListener("DOMContentLoaded", () => {
  const element = document.getElementById("placement-map");
  const source = document.getElementById("placement-data");
  if (!element || !source || !window.L) return;
  const plan = JSON.parse(source.textContent);
  const map = L.map(element, { scrollWheelZoom: false });
  const tiles = element.dataset.tiles;
  if (tiles) L.tileLayer(tiles, { attribution: element.dataset.attribution || "" }).addTo(map);
  const points = new Map(plan.points.map((p) => [p.id, p]));
  const bounds = [];
  for (const area of plan.clusters || []) {
    const served = points.get(area.point_id);
    if (served) L.polyline([[area.lat, area.lon], [served.lat, served.lon]], { color: "#94a3b8", weight: 1 }).addTo(map);
    L.circleMarker([area.lat, area.lon], { radius: 3 + Math.sqrt(area.weight) / 2, color: "#0f766e", fillOpacity: 0.4, weight: 1 })
      .bindTooltip(document.createTextNode(`${area.postal_code}: ${area.distance_km} km`)).addTo(map);
    bounds.push([area.lat, area.lon]);
  }
  for (const p of plan.points) {
    L.circleMarker([p.lat, p.lon], { radius: 9, color: p.open ? "#b45309" : "#64748b", fillOpacity: p.open ? 0.9 : 0.2, weight: 2 })
      .bindTooltip(document.createTextNode(`${p.name}${p.open ? " (used by the plan)" : ""}`)).addTo(map);
    bounds.push([p.lat, p.lon]);
  }
  if (bounds.length) map.fitBounds(bounds, { padding: [20, 20] });
});
