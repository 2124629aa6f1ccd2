"""Does a US ZIP code belong to the city and state written next to it?

One rule for every address a merchant types: storage points (here, in merchant) and order
destinations (fulfillment's address checks call the same function). The answer comes from
the bundled ZIP gazetteer (`zipcodes`), so it works offline and never guesses.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import zipcodes

CITY_MISMATCH = "postal_code_city_mismatch"
STATE_MISMATCH = "postal_code_state_mismatch"


@dataclass(frozen=True)
class Mismatch:
    code: str
    field: str  # "city" or "state"
    message: str


@functools.lru_cache(maxsize=4096)
def gazetteer_entry(postal_code: str) -> dict | None:
    """The bundled US ZIP record (city, acceptable_cities, state, centre) or None."""
    try:
        matches = zipcodes.matching(postal_code)
    except (TypeError, ValueError):
        return None
    return dict(matches[0]) if matches else None


def fold(text: str) -> str:
    """Case, punctuation and spacing folded away: "St. Louis" and "st louis" are equal."""
    return " ".join(re.sub(r"[^\w\s]", " ", text or "").split()).casefold()


def postal_area_mismatches(
    *, entry: dict, postal_code: str, city: str, state: str
) -> list[Mismatch]:
    """What in `city` and `state` contradicts the gazetteer `entry` of `postal_code`."""
    found = []
    accepted = {fold(entry["city"]), *(fold(c) for c in entry.get("acceptable_cities") or [])}
    if city and fold(city) not in accepted:
        found.append(
            Mismatch(
                CITY_MISMATCH,
                "city",
                f"ZIP code {postal_code} is in {entry['city']}, not {city}.",
            )
        )
    if state and fold(state) != fold(entry["state"]):
        found.append(
            Mismatch(
                STATE_MISMATCH,
                "state",
                f"ZIP code {postal_code} is in {entry['state']}, not {state}.",
            )
        )
    return found


def us_postal_area_mismatches(*, postal_code: str, city: str, state: str) -> list[Mismatch]:
    """Mismatches for a normalised 5-digit US ZIP; none when the gazetteer does not know it
    (an unknown ZIP is the geocoder's to report, not this check's)."""
    entry = gazetteer_entry(postal_code)
    if entry is None:
        return []
    return postal_area_mismatches(entry=entry, postal_code=postal_code, city=city, state=state)
