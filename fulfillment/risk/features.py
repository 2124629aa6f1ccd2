"""What makes a home delivery likely to fail, per destination: pure functions of the address, the
order and what the shop's own history says (no database here: the bench and the tests feed them
simulated or crafted rows; fulfillment/risk/services.py feeds them the shop's rows).

Each feature is a number (0 = no sign of trouble); None means "not known here" (a checkout query
that only has a postcode), and the model scores an unknown at the feature's mean.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

FEATURES = ("zip_rate", "no_unit", "business_hours", "po_box", "centroid", "new_customer")

# Words for each feature: (shopper, merchant).
WORDS: dict[str, tuple[str, str]] = {
    "zip_rate": (
        "Parcels to this area often come back.",
        "Home deliveries to this ZIP fail more often than your average.",
    ),
    "no_unit": (
        "Parcels to this building often come back without an apartment number.",
        "A building with several units, and no apartment or unit given.",
    ),
    "business_hours": (
        "Businesses are often closed when the courier comes.",
        "A business address with a delivery promised outside 9:00–17:00.",
    ),
    "po_box": (
        "Couriers cannot deliver to a PO box.",
        "A PO box: couriers other than the postal service cannot deliver there.",
    ),
    "centroid": (
        "The address could not be placed exactly.",
        "Geocoded only to the ZIP's centre: the courier may not find the door.",
    ),
    "new_customer": (
        "First deliveries to a new address fail more often.",
        "A new customer: no earlier delivered order for this email or phone.",
    ),
}

SMOOTHING = 20.0  # deliveries' worth of the shop's overall rate added to every ZIP
LOGIT_CAP = 4.0

_PO_BOX = re.compile(r"\b(p\.?\s*o\.?\s*box|post\s+office\s+box|pobox|po\s+bx)\b", re.I)
_UNIT = re.compile(
    r"\b(apt|apartment|unit|suite|ste|fl|floor|rm|room|flat)\b\.?\s*#?\s*[\w-]+|#\s*[\w-]+",
    re.I,
)
_MULTI_UNIT = re.compile(
    r"\b(apartments|apts|towers?|condos?|condominiums?|lofts|residences|flats)\b",
    re.I,
)
_BUSINESS = re.compile(
    r"\b(suite|ste|inc|llc|ltd|corp|corporation|co|company|gmbh|plc|llp)\b\.?", re.I
)
_SUFFIXES = {
    "street": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "boulevard": "blvd",
    "drive": "dr",
    "lane": "ln",
    "place": "pl",
    "court": "ct",
    "terrace": "ter",
    "highway": "hwy",
    "parkway": "pkwy",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
}


@dataclass(frozen=True)
class AddressFacts:
    """One destination as far as it is known (checkout knows less than intake)."""

    zip5: str = ""
    line1: str = ""
    line2: str = ""
    company: str = ""
    # The promised delivery window in the destination's local time (None: not known).
    window_from: dt.datetime | None = None
    window_until: dt.datetime | None = None
    centroid: bool | None = None  # coordinates only from the ZIP's centre
    new_customer: bool | None = None


@dataclass
class History:
    """What the features take from the shop's past deliveries."""

    zip_stats: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # zip5: (fail, all)
    overall_rate: float = 0.05
    unit_streets: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls, rows: Iterable[tuple[AddressFacts, bool]], *, max_streets: int = 50_000
    ) -> History:
        stats: dict[str, list[int]] = {}
        streets: set[str] = set()
        failures = total = 0
        for facts, failed in rows:
            pair = stats.setdefault(facts.zip5, [0, 0])
            pair[0] += failed
            pair[1] += 1
            failures += failed
            total += 1
            if has_unit(facts) and len(streets) < max_streets:
                key = street_key(facts)
                if key:
                    streets.add(key)
        rate = (failures + 1) / (total + 20) if total else 0.05
        return cls({z: (f, n) for z, (f, n) in stats.items()}, rate, frozenset(streets))


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def zip_rate(history: History, zip5: str, *, leave_out: bool | None = None) -> float:
    """The ZIP's failure rate smoothed towards the shop's overall rate; `leave_out` removes the
    row being scored from its own ZIP's counts (training rows must not see their own outcome)."""
    failures, total = history.zip_stats.get(zip5, (0, 0))
    if leave_out is not None and total:
        failures, total = failures - int(leave_out), total - 1
    prior = history.overall_rate
    return (failures + SMOOTHING * prior) / (total + SMOOTHING)


def street_key(facts: AddressFacts) -> str:
    """The street address without its unit, lower case, common words abbreviated, with the ZIP."""
    text = _UNIT.sub(" ", facts.line1.lower())
    words = re.sub(r"[^a-z0-9 ]", " ", text).split()
    if not words:
        return ""
    return " ".join(_SUFFIXES.get(w, w) for w in words) + f"|{facts.zip5}"


def has_unit(facts: AddressFacts) -> bool:
    return bool(facts.line2.strip()) or bool(_UNIT.search(facts.line1))


def is_business(facts: AddressFacts) -> bool:
    return bool(facts.company.strip()) or any(
        _BUSINESS.search(text) for text in (facts.line1, facts.line2)
    )


def business_name(name: str) -> str:
    """A shopper name that is a company's ("Acme LLC"), else empty."""
    return name.strip() if _BUSINESS.search(name) else ""


def outside_business_hours(start: dt.datetime, end: dt.datetime) -> bool:
    """A window that is not inside a weekday's 9:00–17:00 (local times)."""
    if start.weekday() >= 5 or end.weekday() >= 5:
        return True
    return start.hour < 9 or (end.hour, end.minute) > (17, 0) or end.date() != start.date()


def vector(
    facts: AddressFacts, history: History, *, leave_out: bool | None = None
) -> dict[str, float | None]:
    """{feature: value or None (unknown)} for one destination."""
    zip_logit = None
    if facts.zip5:
        zip_logit = _logit(zip_rate(history, facts.zip5, leave_out=leave_out))
        zip_logit = max(-LOGIT_CAP, min(LOGIT_CAP, zip_logit - _logit(history.overall_rate)))
    no_unit: float | None = None
    if facts.line1.strip():
        multi = street_key(facts) in history.unit_streets or bool(_MULTI_UNIT.search(facts.line1))
        no_unit = float(multi and not has_unit(facts))
    business: float | None = None
    if facts.line1.strip() or facts.company.strip():
        if not is_business(facts):
            business = 0.0
        elif facts.window_from is not None and facts.window_until is not None:
            business = float(outside_business_hours(facts.window_from, facts.window_until))
        else:
            business = 0.5  # a business, the delivery time not known yet
    po_box = float(bool(_PO_BOX.search(f"{facts.line1} {facts.line2}"))) if facts.line1 else None
    return {
        "zip_rate": zip_logit,
        "no_unit": no_unit,
        "business_hours": business,
        "po_box": po_box,
        "centroid": None if facts.centroid is None else float(facts.centroid),
        "new_customer": None if facts.new_customer is None else float(facts.new_customer),
    }
