/* The map beside the widget's list: lockers and shops as circle markers, the destination as a
 * dark dot. A visual aid only: every choice is also in the list, which is the keyboard and
 * screen-reader path, so the map takes no keyboard focus of its own.
 *
 * Circle markers (SVG) rather than Leaflet's image icons: the default icon finds its image
 * path through a stylesheet on the host page, which a shadow root does not share.
 */
(function () {
  "use strict";

  var COLORS = {
    locker: ["--nearbox-accent", "#1f5fd1"],
    shop: ["--nearbox-shop", "#0b7a4b"],
  };

  // places: [{kind, key, name, item: {lat, lon}}]; onChoose(place) when a marker is clicked.
  function PickupMap(L, box, options) {
    var map = L.map(box, { keyboard: false, scrollWheelZoom: false });
    var layer = L.layerGroup().addTo(map);
    var fittedTo = "";
    map.setView(options.center || [41.88, -87.63], 11);
    if (options.tileUrl) {
      L.tileLayer(options.tileUrl, { attribution: options.tileAttribution, maxZoom: 19 }).addTo(
        map
      );
    } else if (options.noTilesText) {
      // Say why the map is blank (offline, or tiles switched off); the list has every place.
      var note = L.control({ position: "bottomleft" });
      note.onAdd = function () {
        var text = document.createElement("div");
        text.className = "nbx-map-note";
        text.textContent = options.noTilesText;
        return text;
      };
      note.addTo(map);
    }
    new ResizeObserver(function () {
      map.invalidateSize();
    }).observe(box);

    function draw(places, destination, chosenKey) {
      layer.clearLayers();
      var bounds = L.latLngBounds([]);
      var styles = getComputedStyle(box);
      places.forEach(function (place) {
        var color = COLORS[place.kind] || COLORS.locker;
        var chosen = place.key === chosenKey;
        var at = [place.item.lat, place.item.lon];
        L.circleMarker(at, {
          radius: chosen ? 11 : 8,
          color: "#fff",
          weight: 2,
          fillColor: styles.getPropertyValue(color[0]).trim() || color[1],
          fillOpacity: chosen ? 1 : 0.85,
          className: "nbx-marker nbx-marker--" + place.kind,
        })
          // A text node, never a string: Leaflet puts a string tooltip in with innerHTML,
          // and a place's name is whatever the merchant (or an import file) typed.
          .bindTooltip(document.createTextNode(place.name))
          .on("click", function () {
            options.onChoose(place);
          })
          .addTo(layer);
        bounds.extend(at);
      });
      if (destination && typeof destination.lat === "number") {
        L.circleMarker([destination.lat, destination.lon], {
          radius: 6,
          color: "#fff",
          weight: 2,
          fillColor: "#222",
          fillOpacity: 1,
          className: "nbx-marker nbx-marker--destination",
          interactive: false,
        }).addTo(layer);
        bounds.extend([destination.lat, destination.lon]);
      }
      map.invalidateSize(); // the map may just have been shown
      // Refit only when the places changed (not on every choice), and without animation:
      // a new fit during a running zoom animation leaves vector markers misplaced.
      var fitKey = bounds.isValid() ? bounds.toBBoxString() : "";
      if (fitKey && fitKey !== fittedTo) {
        fittedTo = fitKey;
        map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15, animate: false });
      }
    }

    return { draw: draw };
  }

  var key = Symbol.for("nearbox.widget");
  var registry = (window[key] = window[key] || {});
  registry.PickupMap = PickupMap;
})();
