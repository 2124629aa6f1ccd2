"""Geocoding: the one place Nearbox turns postal codes and addresses into coordinates.

Callers use :func:`geocode` and get a :class:`GeocodeResult` or a :class:`GeocodingError`
subclass whose ``field`` names the form/API field to blame. The backend is any geopy geocoder
chosen by ``settings.NEARBOX_GEOCODER`` ("offline", the bundled US ZIP table, by default) with
``settings.NEARBOX_GEOCODER_OPTIONS`` as its keyword arguments. Answers are cached in Django's
cache for ``settings.NEARBOX_GEOCODE_CACHE_SECONDS``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from geopy import exc as geopy_exc
from geopy.distance import geodesic
from geopy.geocoders import get_geocoder_for_service
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from merchant.geocoders import OfflineZipGeocoder

__all__ = [
    "GeocodeResult",
    "GeocoderUnavailable",
    "GeocodingError",
    "MalformedPostalCode",
    "UnknownAddress",
    "distance_m",
    "geocode",
    "get_geocoder",
    "normalize_postal_code",
]

logger = logging.getLogger(__name__)

OFFLINE = "offline"
CACHE_VERSION = 1
# Unknown answers are cached briefly: it spares rate-limited providers repeated bad input, yet a
# provider that learns a new address (or a fixed typo in our data) is picked up within the hour.
UNKNOWN_CACHE_SECONDS = 3600

_US_POSTAL_CODE = re.compile(r"\d{5}(?:-\d{4})?")
_OTHER_POSTAL_CODE = re.compile(r"[A-Z0-9][A-Z0-9 -]{1,9}")
_COUNTRY_ALIASES = {"": "US", "USA": "US"}
_UNKNOWN = {"unknown": True}


@dataclass(frozen=True)
class GeocodeResult:
    latitude: float
    longitude: float
    postal_code: str
    city: str
    state: str
    country: str
    normalized_address: str
    source: str

    @property
    def point(self) -> tuple[float, float]:
        return (self.latitude, self.longitude)


class GeocodingError(Exception):
    """Base class; ``message`` is for people, ``field`` is "postal_code" or "address"."""

    default_field = "address"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field or self.default_field


class MalformedPostalCode(GeocodingError):
    default_field = "postal_code"


class UnknownAddress(GeocodingError):
    pass


class GeocoderUnavailable(GeocodingError):
    """The geocoding service failed or timed out; the same request may succeed later."""


def normalize_postal_code(value: str, country: str = "US") -> str:
    """Return the canonical postal code (US: five digits) or raise MalformedPostalCode."""
    country = _normalize_country(country)
    text = (value or "").strip()
    if not text:
        raise MalformedPostalCode("Enter a postal code.")
    if country == "US":
        if not _US_POSTAL_CODE.fullmatch(text):
            raise MalformedPostalCode(
                f"“{text}” is not a US ZIP code; use five digits, like 60601 or 60601-1234."
            )
        return text[:5]
    text = " ".join(text.upper().split())
    if not _OTHER_POSTAL_CODE.fullmatch(text):
        raise MalformedPostalCode(f"“{text}” is not a valid postal code.")
    return text


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic (WGS-84) distance in metres between two (latitude, longitude) points."""
    return geodesic(a, b).meters


_geocoders: dict[tuple[str, str], Geocoder] = {}
_geocoders_lock = threading.Lock()


def get_geocoder() -> Geocoder:
    """The configured geopy geocoder, built once per process per (name, options) setting."""
    name = _geocoder_name()
    options = dict(getattr(settings, "NEARBOX_GEOCODER_OPTIONS", None) or {})
    key = (name, json.dumps(options, sort_keys=True, default=repr))
    with _geocoders_lock:
        geocoder = _geocoders.get(key)
        if geocoder is None:
            geocoder = _geocoders[key] = _build_geocoder(name, options)
    return geocoder


def geocode(
    *, postal_code: str = "", address: str = "", city: str = "", country: str = "US"
) -> GeocodeResult:
    """Resolve a postal code and/or address to coordinates.

    Raises MalformedPostalCode for input that cannot be a postal code (never guessed at),
    UnknownAddress when the geocoder has no answer, GeocoderUnavailable on service failures.
    """
    country = _normalize_country(country)
    address = _collapse(address)
    city = _collapse(city)
    if postal_code and postal_code.strip():
        postal_code = normalize_postal_code(postal_code, country)
    elif not address:
        raise MalformedPostalCode("Enter a postal code or an address.")
    else:
        postal_code = ""
    blame = "postal_code" if postal_code else "address"

    name = _geocoder_name()
    query = {"postal_code": postal_code, "address": address, "city": city, "country": country}
    key = _cache_key(name, query)
    cached = _cache_get(key)
    if cached == _UNKNOWN:
        raise UnknownAddress(_unknown_message(query), field=blame)
    if cached is not None:
        return GeocodeResult(**cached)

    geocoder = get_geocoder()
    try:
        location = geocoder.geocode(_build_query(geocoder, query), exactly_one=True)
    except geopy_exc.GeocoderQueryError as error:
        # The service rejected the query itself; retrying the same input will not help.
        logger.info("Geocoder %s rejected a query: %s", name, error)
        raise UnknownAddress(_unknown_message(query), field=blame) from error
    except geopy_exc.GeocoderServiceError as error:
        # Addresses are customer data, so the log names the geocoder and error, not the query.
        logger.warning("Geocoder %s failed: %s", name, error)
        raise GeocoderUnavailable(
            "The geocoding service is unavailable right now; please try again shortly.",
            field=blame,
        ) from error

    if location is None:
        _cache_set(key, _UNKNOWN, min(_cache_seconds(), UNKNOWN_CACHE_SECONDS))
        raise UnknownAddress(_unknown_message(query), field=blame)
    result = _to_result(location, query, name)
    _cache_set(key, asdict(result), _cache_seconds())
    return result


# --- internals ------------------------------------------------------------------------------


def _geocoder_name() -> str:
    return (getattr(settings, "NEARBOX_GEOCODER", "") or OFFLINE).strip().lower()


def _cache_seconds() -> int:
    return int(getattr(settings, "NEARBOX_GEOCODE_CACHE_SECONDS", 0) or 0)


def _build_geocoder(name: str, options: dict[str, Any]) -> Geocoder:
    try:
        cls = OfflineZipGeocoder if name == OFFLINE else get_geocoder_for_service(name)
        return cls(**options)
    except (geopy_exc.GeocoderNotFound, geopy_exc.ConfigurationError, TypeError) as error:
        raise ImproperlyConfigured(
            f"NEARBOX_GEOCODER={name!r} with NEARBOX_GEOCODER_OPTIONS={options!r}: {error}"
        ) from error


def _normalize_country(country: str) -> str:
    code = (country or "").strip().upper()
    return _COUNTRY_ALIASES.get(code, code)


def _collapse(text: str) -> str:
    return " ".join((text or "").split())


def _build_query(geocoder: Geocoder, query: dict[str, str]) -> str | dict[str, str]:
    if isinstance(geocoder, OfflineZipGeocoder):
        structured = {
            "postalcode": query["postal_code"],
            "street": query["address"],
            "city": query["city"],
            "country": query["country"],
        }
        return {k: v for k, v in structured.items() if v}
    # Free text, because not every geopy geocoder accepts structured (dict) queries.
    parts = (query["address"], query["city"], query["postal_code"], query["country"])
    return ", ".join(part for part in parts if part)


def _cache_key(name: str, query: dict[str, str]) -> str:
    text = json.dumps(query, sort_keys=True).casefold()
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"nearbox:geocode:v{CACHE_VERSION}:{name}:{digest}"


def _cache_get(key: str) -> Any:
    # The cache is an optimisation: if it is down, geocode anyway rather than fail the request.
    try:
        return cache.get(key)
    except Exception:
        logger.warning("Geocode cache read failed", exc_info=True)
        return None


def _cache_set(key: str, value: Any, seconds: int) -> None:
    if seconds <= 0:
        return
    try:
        cache.set(key, value, seconds)
    except Exception:
        logger.warning("Geocode cache write failed", exc_info=True)


def _unknown_message(query: dict[str, str]) -> str:
    if query["postal_code"]:
        return f"We could not find postal code {query['postal_code']}."
    return "We could not find that address; check it or add a postal code."


def _to_result(location: Location, query: dict[str, str], source: str) -> GeocodeResult:
    raw = location.raw if isinstance(location.raw, dict) else {}
    # Our offline geocoder puts these at the top level; Nominatim (addressdetails) nests them
    # under "address" and Photon under "properties". Anything else falls back to the input.
    nested = [raw.get(key) for key in ("properties", "address")]
    details = {k: v for part in [*nested, raw] if isinstance(part, dict) for k, v in part.items()}
    postal_code = str(details.get("zip_code") or details.get("postcode") or "")
    postal_code = postal_code or query["postal_code"]
    if query["country"] == "US" and postal_code:
        postal_code = postal_code[:5]
    city = details.get("city") or details.get("town") or details.get("village") or query["city"]
    code = details.get("country_code") or details.get("countrycode") or details.get("country")
    country = code.upper() if isinstance(code, str) and len(code) == 2 else query["country"]
    return GeocodeResult(
        latitude=float(location.latitude),
        longitude=float(location.longitude),
        postal_code=str(postal_code),
        city=str(city or ""),
        state=str(details.get("state") or ""),
        country=country,
        normalized_address=str(location.address or ""),
        source=source,
    )
