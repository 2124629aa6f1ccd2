"""Offline geopy geocoder backed by the ``zipcodes`` package (US ZIP centroids, no network).

It resolves a US ZIP code to the centroid the package ships with. It is the default geocoder,
so development, CI and small deployments never depend on a third-party service.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import zipcodes
from geopy.geocoders.base import DEFAULT_SENTINEL, Geocoder
from geopy.location import Location

__all__ = ["OfflineZipGeocoder"]

_EXACT_ZIP = re.compile(r"(\d{5})(?:-\d{4})?")
# A ZIP inside free text counts only at the end, optionally followed by the country, as US
# addresses are written ("..., IL 60606, USA"). Anchoring it there stops a five-digit street
# number ("12345 Main St") from being read as a ZIP code.
_TRAILING_ZIP = re.compile(
    r"(?<![\d-])(\d{5})(?:-\d{4})?\s*(?:,?\s*(?:US|USA|U\.S\.A?\.?|United States"
    r"(?: of America)?))?\s*$",
    re.IGNORECASE,
)
_US_NAMES = frozenset(
    {"", "us", "usa", "u.s.", "u.s.a.", "united states", "united states of america"}
)
# Keys of geopy's structured (dict) queries that may carry the ZIP code, most specific first.
_STRUCTURED_KEYS = ("postalcode", "postal_code", "zip", "street", "city", "query")


def _find_zip(text: str, *, structured_field: bool = False) -> str | None:
    text = text.strip()
    match = _EXACT_ZIP.fullmatch(text) if structured_field else None
    match = match or _TRAILING_ZIP.search(text)
    return match.group(1) if match else None


class OfflineZipGeocoder(Geocoder):
    """Geocode US ZIP codes to their centroid from the bundled ``zipcodes`` data.

    ``query`` is a string (``"60601"``, ``"60601-1234"``, ``"233 S Wacker Dr, Chicago,
    IL 60606"``) or a geopy structured query (``{"postalcode": "60601", "country": "US"}``).
    Anything without a recognisable, known US ZIP code gives ``None``, as geopy geocoders do.
    """

    def __init__(self, **kwargs: Any) -> None:
        # Accepts geopy's common options (user_agent, timeout, ...) so settings stay uniform.
        super().__init__(**kwargs)

    def geocode(
        self,
        query: str | Mapping[str, str],
        *,
        exactly_one: bool = True,
        timeout: Any = DEFAULT_SENTINEL,
    ) -> Location | list[Location] | None:
        zip_code = self._extract_zip(query)
        record = self._lookup(zip_code) if zip_code else None
        if record is None:
            return None
        location = self._to_location(record)
        return location if exactly_one else [location]

    def reverse(self, query: Any, *, exactly_one: bool = True, timeout: Any = DEFAULT_SENTINEL):
        raise NotImplementedError("OfflineZipGeocoder only geocodes ZIP codes to coordinates.")

    @staticmethod
    def _extract_zip(query: str | Mapping[str, str]) -> str | None:
        if isinstance(query, Mapping):
            if str(query.get("country") or "").strip().lower() not in _US_NAMES:
                return None  # The bundled data covers the United States only.
            for key in _STRUCTURED_KEYS:
                value = query.get(key)
                if value and (found := _find_zip(str(value), structured_field=key != "query")):
                    return found
            return None
        if isinstance(query, str):
            return _find_zip(query, structured_field=True)
        return None

    @staticmethod
    def _lookup(zip_code: str) -> dict[str, Any] | None:
        try:
            matches = zipcodes.matching(zip_code)
        except (TypeError, ValueError):  # zipcodes raises on malformed input.
            return None
        return dict(matches[0]) if matches else None

    @staticmethod
    def _to_location(record: dict[str, Any]) -> Location:
        country = record.get("country") or "US"
        address = f"{record['city']}, {record['state']} {record['zip_code']}, {country}"
        return Location(address, (float(record["lat"]), float(record["long"])), record)
