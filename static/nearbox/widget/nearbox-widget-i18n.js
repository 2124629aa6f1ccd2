/* Strings and formats of the Nearbox pickup widget: one table per language (English is the
 * fallback for a missing language or key), prices, distances and times through Intl.
 *
 * Loaded by nearbox-widget.js before it renders (or prepended to it by the Django view).
 * Plural keys hold an object keyed by Intl.PluralRules categories; "{name}" placeholders
 * are filled from the values given.
 */
(function () {
  "use strict";

  var STRINGS = {
    en: {
      title: "Delivery",
      postcode: "Postcode",
      postcodeHint: "Type your postcode to see delivery options near you.",
      locate: "Use my location",
      locating: "Finding your location…",
      locateFailed: "Your location is not available ({reason}). Type your postcode instead.",
      locateUnsupported: "This browser cannot share your location. Type your postcode instead.",
      myLocation: "your location",
      filters: "Show",
      home: "Home delivery",
      locker: "Lockers",
      shop: "Pickup shops",
      openNow: "Open now",
      options: "Delivery options",
      map: "Map of the pickup points",
      noTiles: "No map tiles: places drawn on a plain background",
      searching: "Searching…",
      results: { one: "{n} option found", other: "{n} options found" },
      none: "No delivery options found near {place}. Try another postcode.",
      noneFiltered: "No option matches the filters. Change the filters to see more.",
      networkError: "Could not reach the delivery service. Check your connection and try again.",
      serverError: "The delivery service had a problem. Try again in a moment.",
      retry: "Try again",
      open247: "Open 24/7",
      openNowBadge: "Open now",
      closedNow: "Closed now",
      hoursToday: "Today {hours}",
      closedToday: "Closed today",
      readyBy: "Ready by {time}",
      arrives: "Arrives {when}",
      away: "{distance} away",
      compartment: "Compartment size {size}",
      holding: "Reserving a compartment at {name}…",
      held: "{name}: a compartment is held for you for {minutes} min.",
      chosen: "Chosen: {name}",
      setupError: "The delivery widget is not set up: {detail}",
      noParcel: "give data-cart or data-weight-g on its script tag",
      noTarget: "no element matches data-target",
      // Address risk (#20): why a locker or shop is listed first.
      riskSuggestion: "{reason} {place} {distance} away holds your parcel for {days} days.",
      riskLocker: "A locker",
      riskShop: "A pickup shop",
      risk_generic: "Home deliveries here often fail.",
      risk_zip_rate: "Parcels to this area often come back.",
      risk_no_unit: "Parcels to this building often come back without an apartment number.",
      risk_business_hours: "Businesses are often closed when the courier comes.",
      risk_po_box: "Couriers cannot deliver to a PO box.",
      risk_centroid: "The address could not be placed exactly.",
      risk_new_customer: "First deliveries to a new address fail more often.",
    },
    pl: {
      title: "Dostawa",
      postcode: "Kod pocztowy",
      postcodeHint: "Wpisz kod pocztowy, aby zobaczyć opcje dostawy w pobliżu.",
      locate: "Użyj mojej lokalizacji",
      locating: "Ustalanie lokalizacji…",
      locateFailed: "Lokalizacja jest niedostępna ({reason}). Wpisz kod pocztowy.",
      locateUnsupported: "Ta przeglądarka nie udostępnia lokalizacji. Wpisz kod pocztowy.",
      myLocation: "Twojej lokalizacji",
      filters: "Pokaż",
      home: "Dostawa do domu",
      locker: "Automaty paczkowe",
      shop: "Punkty odbioru",
      openNow: "Otwarte teraz",
      options: "Opcje dostawy",
      map: "Mapa punktów odbioru",
      noTiles: "Bez podkładu mapy: punkty na gładkim tle",
      searching: "Szukanie…",
      results: {
        one: "Znaleziono {n} opcję",
        few: "Znaleziono {n} opcje",
        many: "Znaleziono {n} opcji",
        other: "Znaleziono {n} opcji",
      },
      none: "Brak opcji dostawy w pobliżu: {place}. Spróbuj innego kodu pocztowego.",
      noneFiltered: "Żadna opcja nie pasuje do filtrów. Zmień filtry, aby zobaczyć więcej.",
      networkError:
        "Nie udało się połączyć z usługą dostawy. Sprawdź połączenie i spróbuj ponownie.",
      serverError: "Usługa dostawy ma chwilowy problem. Spróbuj ponownie za chwilę.",
      retry: "Spróbuj ponownie",
      open247: "Czynne całą dobę",
      openNowBadge: "Teraz otwarte",
      closedNow: "Teraz zamknięte",
      hoursToday: "Dziś {hours}",
      closedToday: "Dziś nieczynne",
      readyBy: "Gotowe do odbioru: {time}",
      arrives: "Dostawa: {when}",
      away: "{distance} stąd",
      compartment: "Skrytka {size}",
      holding: "Rezerwowanie skrytki: {name}…",
      held: "{name}: skrytka jest zarezerwowana na {minutes} min.",
      chosen: "Wybrano: {name}",
      setupError: "Widżet dostawy nie jest skonfigurowany: {detail}",
      noParcel: "podaj data-cart lub data-weight-g w znaczniku script",
      noTarget: "żaden element nie pasuje do data-target",
      // Address risk (#20): why a locker or shop is listed first.
      riskSuggestion: "{reason} {place} {distance} stąd przechowa paczkę przez {days} dni.",
      riskLocker: "Automat paczkowy",
      riskShop: "Punkt odbioru",
      risk_generic: "Dostawy do domu pod ten adres często się nie udają.",
      risk_zip_rate: "Paczki w ten rejon często wracają.",
      risk_no_unit: "Paczki do tego budynku często wracają bez numeru mieszkania.",
      risk_business_hours: "Firmy są często zamknięte, gdy przyjeżdża kurier.",
      risk_po_box: "Kurierzy nie doręczają do skrytek pocztowych.",
      risk_centroid: "Nie udało się dokładnie ustalić adresu.",
      risk_new_customer: "Pierwsze dostawy pod nowy adres częściej się nie udają.",
    },
    es: {
      title: "Entrega",
      postcode: "Código postal",
      postcodeHint: "Escribe tu código postal para ver opciones de entrega cercanas.",
      locate: "Usar mi ubicación",
      locating: "Buscando tu ubicación…",
      locateFailed: "Tu ubicación no está disponible ({reason}). Escribe tu código postal.",
      locateUnsupported:
        "Este navegador no puede compartir tu ubicación. Escribe tu código postal.",
      myLocation: "tu ubicación",
      filters: "Mostrar",
      home: "Entrega a domicilio",
      locker: "Taquillas",
      shop: "Tiendas de recogida",
      openNow: "Abierto ahora",
      options: "Opciones de entrega",
      map: "Mapa de los puntos de recogida",
      noTiles: "Sin teselas de mapa: puntos sobre un fondo liso",
      searching: "Buscando…",
      results: { one: "{n} opción encontrada", other: "{n} opciones encontradas" },
      none: "No hay opciones de entrega cerca de {place}. Prueba otro código postal.",
      noneFiltered: "Ninguna opción coincide con los filtros. Cámbialos para ver más.",
      networkError:
        "No se pudo conectar con el servicio de entrega. Revisa tu conexión e inténtalo de nuevo.",
      serverError:
        "El servicio de entrega ha tenido un problema. Inténtalo de nuevo en un momento.",
      retry: "Reintentar",
      open247: "Abierto 24 h",
      openNowBadge: "Abierto ahora",
      closedNow: "Cerrado ahora",
      hoursToday: "Hoy {hours}",
      closedToday: "Hoy cerrado",
      readyBy: "Listo el {time}",
      arrives: "Llega {when}",
      away: "a {distance}",
      compartment: "Casillero {size}",
      holding: "Reservando un casillero en {name}…",
      held: "{name}: casillero reservado durante {minutes} min.",
      chosen: "Elegido: {name}",
      setupError: "El widget de entrega no está configurado: {detail}",
      noParcel: "indica data-cart o data-weight-g en su etiqueta script",
      noTarget: "ningún elemento coincide con data-target",
      // Address risk (#20): why a locker or shop is listed first.
      riskSuggestion: "{reason} {place} a {distance} guarda tu paquete durante {days} días.",
      riskLocker: "Un casillero",
      riskShop: "Una tienda de recogida",
      risk_generic: "Las entregas a domicilio aquí fallan a menudo.",
      risk_zip_rate: "Los paquetes a esta zona vuelven a menudo.",
      risk_no_unit: "Los paquetes a este edificio vuelven a menudo sin número de piso.",
      risk_business_hours: "Los negocios suelen estar cerrados cuando llega el repartidor.",
      risk_po_box: "Los repartidores no pueden entregar en un apartado postal.",
      risk_centroid: "No se pudo ubicar la dirección con exactitud.",
      risk_new_customer: "Las primeras entregas a una dirección nueva fallan más a menudo.",
    },
  };

  var WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

  function Translator(locale) {
    var tables = STRINGS;
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
      // One day: its hours ("Wed, Nov 25, 12:00 – 4:00 PM"); several days: the days only.
      window: function (eta) {
        var from = wallClock(eta && eta.from);
        var until = wallClock(eta && eta.until);
        if (!from || !until) return from || until ? day.format((from || until).date) : "";
        // The dates hold the place's wall-clock time as UTC: compare their UTC days.
        var sameDay = from.date.getUTCDate() === until.date.getUTCDate() &&
          until.date - from.date < 86400000;
        var format = sameDay && from.hasTime ? moment : day;
        if (from.date.getTime() === until.date.getTime()) return format.format(from.date);
        return format.formatRange(from.date, until.date);
      }
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

  var key = Symbol.for("nearbox.widget");
  var registry = (window[key] = window[key] || {});
  registry.Translator = Translator;
  registry.formatters = formatters;
  registry.todaysHours = todaysHours;
})();
