/* The Nearbox checkout API as the pickup widget calls it (publishable key in `?key=`, so the
 * options GET is a simple CORS request with no preflight).
 *
 * Every failure is an Error: `problem` holds the API's JSON problem {status, code, detail,
 * field} and the message is its `detail`; `network` is true when no answer could be read,
 * `server` when Nearbox answered with a 5xx.
 */
(function () {
  "use strict";

  // settings: {apiBase, keyCheck, key, country, limit, cart: "SKU:2,…", parcel: {weight_g, …},
  //            value: "4999" (minor units), tags: "gift,bulky"}
  function NearboxApi(settings) {
    function url(base, params) {
      var address = new URL(base);
      address.searchParams.set("key", settings.key);
      Object.keys(params || {}).forEach(function (name) {
        var value = params[name];
        if (value !== undefined && value !== null && value !== "") {
          address.searchParams.set(name, value);
        }
      });
      return address.href;
    }

    // The host page's address fields as typed so far (for the address risk only).
    function addressParams() {
      var out = {};
      var inputs = settings.addressInputs || {};
      Object.keys(inputs).forEach(function (name) {
        var field = inputs[name] ? document.querySelector(inputs[name]) : null;
        if (field && typeof field.value === "string") out[name] = field.value.trim().slice(0, 150);
      });
      return out;
    }

    function parcelParams() {
      return settings.cart ? { cart: settings.cart } : Object.assign({}, settings.parcel);
    }

    function parcelBody() {
      if (settings.cart) {
        return {
          cart: settings.cart.split(",").map(function (line) {
            var parts = line.split(":");
            return { sku: parts[0].trim(), quantity: Number(parts[1] || 1) };
          }),
        };
      }
      var dims = {};
      Object.keys(settings.parcel).forEach(function (name) {
        if (settings.parcel[name]) dims[name] = Number(settings.parcel[name]);
      });
      return dims;
    }

    function failure(message, problem) {
      var error = new Error(message);
      error.problem = problem || null;
      error.network = !problem;
      return error;
    }

    // The API refuses a wrong key or a foreign origin without CORS headers, which the
    // browser reports like a network failure; the key check says which it was.
    function explain() {
      return fetch(url(settings.keyCheck))
        .then(function (response) {
          return response.json();
        })
        .catch(function () {
          return { status: 0 };
        })
        .then(function (check) {
          var refused = check.status === 401 || check.status === 403;
          throw refused ? failure(check.detail, check) : failure("");
        });
    }

    function send(address, options) {
      return fetch(address, options).then(
        function (response) {
          return response
            .json()
            .catch(function () {
              return {};
            })
            .then(function (body) {
              if (response.ok) return body;
              var problem = Object.assign({ status: response.status }, body);
              var error = failure(body.detail || response.statusText, problem);
              error.server = response.status >= 500; // worth a retry, and not the shopper's fault
              throw error;
            });
        },
        function (cause) {
          if (cause && cause.name === "AbortError") throw cause;
          return explain();
        }
      );
    }

    return {
      // query: {postal_code} or {lat, lon}
      options: function (query, signal) {
        var params = Object.assign(
          { country: settings.country, limit: settings.limit },
          // The cart's value (minor units) and tags: the shop's checkout rules price by them.
          { value_minor: settings.value, tags: settings.tags },
          parcelParams(),
          addressParams(),
          query.postal_code
            ? { postal_code: query.postal_code }
            : { lat: query.lat, lon: query.lon }
        );
        return send(url(settings.apiBase + "/delivery-options", params), { signal: signal });
      },
      reserve: function (bankId) {
        return send(url(settings.apiBase + "/reservations"), {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(Object.assign({ bank_id: bankId }, parcelBody())),
        });
      },
      release: function (token) {
        return send(url(settings.apiBase + "/reservations/" + encodeURIComponent(token)), {
          method: "DELETE",
        });
      },
    };
  }

  var key = Symbol.for("nearbox.widget");
  var registry = (window[key] = window[key] || {});
  registry.NearboxApi = NearboxApi;
})();
