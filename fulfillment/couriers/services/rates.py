"""Rate shopping: every courier service that can carry an order, its price and promised window,
and the one the merchant's rule picks, with a sentence saying why.

The core is pure and fast: `build_options` and `choose` work on a RateBook preloaded once
(couriers/selectors.py: accounts, services, areas, rule, on-time records) and a RateInput (origin,
destination, parcel). Service-area geometries are prepared once per process and reused until the
area's `updated_at` changes. `rates_for_order` adds live quotes from couriers that give them,
through the shared HTTP layer with a short timeout: a courier that fails keeps its rate-card
price, is marked as such, and its account records the error; nothing here raises for it.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import zoneinfo
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import ValidationError

from fulfillment.couriers.adapters import (
    CourierError,
    DeliveryWindow,
    Parcel,
    Quote,
    RetryPolicy,
    ShipmentRequest,
)
from fulfillment.fleet.services.quotes import FleetEntry, fleet_quote, next_wave
from merchant.hours import closing_time
from merchant.money import NoExchangeRate, convert, format_money

logger = logging.getLogger(__name__)

DIM_DIVISOR_MM3_PER_G = 5000  # 5000 cm³/kg is 5000 mm³/g
LEVEL_RANK = {"same_day": 0, "next_day": 1, "economy": 2}
LEVEL_NAME = {"same_day": "same day", "next_day": "next day", "economy": "economy"}
MIN_ON_TIME_SAMPLE = 5  # delivered parcels before an on-time rate counts
LIVE_QUOTE_POLICY = RetryPolicy(max_attempts=1, connect_timeout_s=1.0, read_timeout_s=2.0)
DAY_WINDOW = (dt.time(9), dt.time(21))  # a day-based promise: delivered between these


# --- preloaded inputs -----------------------------------------------------------------------


class AreaMatcher:
    """One service area, ready to answer `covers` in microseconds."""

    __slots__ = ("geometry", "kind", "lat", "lon", "radius_m", "zips")

    def __init__(self, kind: str, *, lat=None, lon=None, radius_m=None, zips=None, geometry=None):
        self.kind, self.lat, self.lon, self.radius_m = kind, lat, lon, radius_m
        self.zips, self.geometry = zips, geometry

    def covers(self, lat: float | None, lon: float | None, zip_code: str) -> bool:
        if self.kind == "zip":
            return zip_code in self.zips
        if lat is None or lon is None:
            return False
        if self.kind == "radius":
            return haversine_m(self.lat, self.lon, lat, lon) <= self.radius_m
        from shapely import Point

        return self.geometry.contains(Point(lon, lat))


_PREPARED: dict[int, tuple[Any, AreaMatcher]] = {}


def area_matcher(area: Any) -> AreaMatcher:
    """The matcher for a ServiceArea row, cached per process by (pk, updated_at)."""
    cached = _PREPARED.get(area.pk)
    if cached is not None and cached[0] == area.updated_at:
        return cached[1]
    if area.kind == "zip":
        matcher = AreaMatcher("zip", zips=frozenset(area.zip_codes))
    elif area.kind == "radius":
        matcher = AreaMatcher(
            "radius",
            lat=area.center_latitude,
            lon=area.center_longitude,
            radius_m=area.radius_km * 1000,
        )
    else:
        from shapely.geometry import shape
        from shapely.prepared import prep

        matcher = AreaMatcher("polygon", geometry=prep(shape(area.polygon)))
    _PREPARED[area.pk] = (area.updated_at, matcher)
    return matcher


@dataclass(frozen=True)
class ServiceEntry:
    account_id: int
    account_name: str
    courier: str
    currency: str
    service_id: int
    level: str
    code: str
    name: str
    transit_hours: int
    pickup_cutoff: dt.time
    max_weight_g: int | None
    max_dims_mm: tuple[int, int, int] | None
    base_minor: int
    per_km_minor: int
    per_kg_minor: int
    size_surcharges: tuple[tuple[int, int], ...]  # (over_g, surcharge), ascending
    fuel_pct: float
    minimum_minor: int
    areas: tuple[AreaMatcher, ...]

    @classmethod
    def from_models(cls, account: Any, service: Any, areas: tuple[Any, ...]) -> ServiceEntry:
        """A rate-card entry from a CourierAccount and one of its CourierServices."""
        return cls(
            account_id=account.pk,
            account_name=account.name,
            courier=account.courier,
            currency=account.currency,
            service_id=service.pk,
            level=service.level,
            code=service.code,
            name=service.name,
            transit_hours=service.transit_hours,
            pickup_cutoff=service.pickup_cutoff,
            max_weight_g=service.max_weight_g,
            max_dims_mm=service.max_dims_mm,
            base_minor=service.base_minor,
            per_km_minor=service.per_km_minor,
            per_kg_minor=service.per_kg_minor,
            size_surcharges=tuple((t["over_g"], t["surcharge"]) for t in service.size_surcharges),
            fuel_pct=float(service.fuel_pct),
            minimum_minor=service.minimum_minor,
            areas=areas,
        )


@dataclass(frozen=True)
class CourierRuleEntry:
    """A courier rule per point and destination (fulfillment/models/checkout.py CourierRule)."""

    name: str
    point_id: int | None  # None: from any point
    destinations: tuple[str, ...]  # "60601", "606*", "60601-60614"; () for anywhere
    rule: str
    preferred_account_id: int | None = None
    preferred_service_id: int | None = None
    tolerance_pct: int = 10

    def matches(self, point_id: int | None, zip_code: str) -> bool:
        if self.point_id is not None and point_id != self.point_id:
            return False
        return not self.destinations or zip_in(self.destinations, zip_code)


def zip_in(entries: Iterable[str], zip_code: str) -> bool:
    """Whether a ZIP is one of the entries: a ZIP, a prefix ("606*") or a range of ZIPs of one
    length ("60601-60614", compared on the ZIP's first digits)."""
    code = "".join(c for c in zip_code.upper() if c.isalnum())
    for entry in entries:
        if entry.endswith("*"):
            if code.startswith(entry[:-1]):
                return True
        elif "-" in entry:
            low, high = entry.split("-", 1)
            if len(code) >= len(low) and low <= code[: len(low)] <= high:
                return True
        elif code == entry:
            return True
    return False


@dataclass(frozen=True)
class RateBook:
    merchant_id: int
    time_zone: str
    currency: str
    services: tuple[ServiceEntry, ...]
    rule: str = "cheapest"
    preferred_account_id: int | None = None
    tolerance_pct: int = 10
    on_time: dict[tuple[int, int], tuple[float, int]] = field(default_factory=dict)
    # Ordered rules per point and destination; the first that matches replaces `rule`.
    courier_rules: tuple[CourierRuleEntry, ...] = ()
    # Own delivery (#16): CourierService id → its FleetService's cost model and today's room.
    fleet: dict[int, FleetEntry] = field(default_factory=dict)


@dataclass(frozen=True)
class Origin:
    point_id: int
    name: str
    latitude: float
    longitude: float
    same_day_cutoff: dt.time | None
    opening_hours: dict
    address: dict[str, str]

    @classmethod
    def for_point(cls, point: Any) -> Origin:
        """The origin a storage point ships from (orders, and the checkout's home options)."""
        return cls(
            point_id=point.pk,
            name=point.name,
            latitude=point.latitude,
            longitude=point.longitude,
            same_day_cutoff=point.same_day_cutoff,
            opening_hours=point.opening_hours or {},
            address={
                "name": point.name,
                "street": point.address_line,
                "city": point.city,
                "postal_code": point.postal_code,
                "country": point.country,
            },
        )


@dataclass(frozen=True)
class RateInput:
    origin: Origin | None
    latitude: float | None
    longitude: float | None
    zip_code: str
    parcel: Parcel
    service_level: str
    promised_until: dt.datetime | None = None
    recipient: dict[str, str] = field(default_factory=dict)
    reference: str = ""
    # The locker or pickup shop the shopper chose at checkout ("" for home delivery).
    pickup_name: str = ""


@dataclass(frozen=True)
class RateOption:
    option_id: str
    account_id: int
    account_name: str
    courier: str
    service_id: int
    service_name: str
    service_code: str
    level: str
    price_minor: int
    currency: str
    window: DeliveryWindow | None
    eligible: bool
    refusal: str = ""
    keeps_promise: bool = True
    on_time_rate: float | None = None
    on_time_sample: int = 0
    price_source: str = "rate card"
    # Set when the price was converted into the merchant's currency: the original, rate, source.
    fx_note: str = ""
    priced: bool = True  # False: no price in the merchant's currency (see price_source)
    # Own delivery: "2.1 km from Wicker Park", "wave 15:00 has room" (said in the why).
    fleet_detail: tuple[str, ...] = ()

    @property
    def price_text(self) -> str:
        return format_money(self.price_minor, self.currency) if self.priced else "—"


@dataclass(frozen=True)
class RateResult:
    options: tuple[RateOption, ...]  # eligible first (by price), then the refused with why
    chosen: RateOption | None
    why: str
    rule: str

    @property
    def eligible(self) -> tuple[RateOption, ...]:
        return tuple(o for o in self.options if o.eligible)

    def option(self, option_id: str) -> RateOption | None:
        return next((o for o in self.options if o.option_id == option_id), None)


# --- geometry, parcel and price -------------------------------------------------------------


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def dimensional_weight_g(parcel: Parcel) -> int:
    return math.ceil(parcel.length_mm * parcel.width_mm * parcel.height_mm / DIM_DIVISOR_MM3_PER_G)


def parcel_for_items(items: Iterable[tuple[int, int, int, int, int]]) -> Parcel:
    """One box for (weight_g, length, width, height mm, quantity) items: footprint of the
    largest item, heights stacked."""
    weight = length = width = height = 0
    for weight_g, l_mm, w_mm, h_mm, quantity in items:
        l_mm, w_mm, h_mm = sorted((l_mm, w_mm, h_mm), reverse=True)
        weight += weight_g * quantity
        length, width = max(length, l_mm), max(width, w_mm)
        height += h_mm * quantity
    return Parcel(weight_g=weight, length_mm=length, width_mm=width, height_mm=height)


def price_minor(service: ServiceEntry, parcel: Parcel, distance_m: float) -> int:
    """base + per km + per kg (billable = max(actual, dimensional), started kg) + size
    surcharge (highest tier the dimensional weight is over), then fuel %, then the minimum."""
    dim_g = dimensional_weight_g(parcel)
    billable_kg = math.ceil(max(parcel.weight_g, dim_g) / 1000)
    surcharge = 0
    for over_g, amount in service.size_surcharges:
        if dim_g > over_g:
            surcharge = amount
    subtotal = (
        service.base_minor
        + service.per_km_minor * distance_m / 1000
        + service.per_kg_minor * billable_kg
        + surcharge
    )
    total = math.floor(subtotal * (1 + service.fuel_pct / 100) + 0.5)
    return max(total, service.minimum_minor)


# --- windows --------------------------------------------------------------------------------


def pickup_at(
    service: ServiceEntry, origin: Origin, now_local: dt.datetime
) -> tuple[dt.datetime | None, str]:
    """The first pick-up the service can make from the point (local), or None and why."""
    today = now_local.date()
    for offset in range(8):
        day = today + dt.timedelta(days=offset)
        cutoff = service.pickup_cutoff
        if service.level == "same_day" and origin.same_day_cutoff is not None:
            cutoff = min(cutoff, origin.same_day_cutoff)
        closing = closing_time(origin.opening_hours, day)
        if closing is False:
            continue
        if closing is not None:
            cutoff = min(cutoff, closing)
        if offset == 0 and now_local.time() >= cutoff:
            if service.level == "same_day":
                return None, f"the same-day pick-up cut-off ({cutoff:%H:%M}) has passed"
            continue
        if service.level == "same_day" and offset > 0:
            return None, f"{origin.name} is closed today"
        return dt.datetime.combine(day, cutoff, tzinfo=now_local.tzinfo), ""
    return None, f"{origin.name} has no opening day in the coming week"


def delivery_window(service: ServiceEntry, pickup: dt.datetime) -> DeliveryWindow:
    arrival = pickup + dt.timedelta(hours=service.transit_hours)
    if service.transit_hours < 24:
        return DeliveryWindow(pickup, arrival)
    day = arrival.date()
    start = dt.datetime.combine(day, DAY_WINDOW[0], tzinfo=pickup.tzinfo)
    end = dt.datetime.combine(day, DAY_WINDOW[1], tzinfo=pickup.tzinfo)
    return DeliveryWindow(start, max(end, arrival))


# --- options and the rule -------------------------------------------------------------------


def _refusal(service: ServiceEntry, inp: RateInput) -> str:
    if not service.areas:
        return "has no service area set"
    if not any(a.covers(inp.latitude, inp.longitude, inp.zip_code) for a in service.areas):
        return "does not deliver to this address (outside its service area)"
    parcel = inp.parcel
    if service.max_weight_g is not None and parcel.weight_g > service.max_weight_g:
        return (
            f"the parcel weighs {parcel.weight_g / 1000:.1f} kg, over its "
            f"{service.max_weight_g / 1000:.1f} kg limit"
        )
    if service.max_dims_mm is not None:
        dims = sorted((parcel.length_mm, parcel.width_mm, parcel.height_mm), reverse=True)
        if any(d > m for d, m in zip(dims, service.max_dims_mm, strict=True)):
            return (
                f"the parcel ({'×'.join(str(d // 10) for d in dims)} cm) is over its size limit "
                f"({'×'.join(str(d // 10) for d in service.max_dims_mm)} cm)"
            )
    return ""


def build_options(book: RateBook, inp: RateInput, now: dt.datetime) -> list[RateOption]:
    """Every active service of the merchant, eligible or with the reason it is not."""
    tz = zoneinfo.ZoneInfo(book.time_zone)
    now_local = now.astimezone(tz)
    distance = 0.0
    if inp.origin is not None and _on_earth(inp.latitude, inp.longitude):
        o = inp.origin
        distance = haversine_m(o.latitude, o.longitude, inp.latitude, inp.longitude)
    promised_rank = LEVEL_RANK.get(inp.service_level, 2)
    options = []
    for service in book.services:
        refusal = "" if inp.origin is not None else "the order is not allocated to a storage point"
        refusal = refusal or _refusal(service, inp)
        window = None
        fleet = book.fleet.get(service.service_id)
        if fleet is not None:
            window, fleet_price, fleet_detail, refusal = _fleet_terms(
                fleet, inp, now_local, refusal
            )
        elif not refusal:
            pickup, refusal = pickup_at(service, inp.origin, now_local)
            if pickup is not None:
                window = delivery_window(service, pickup)
        keeps = LEVEL_RANK[service.level] <= promised_rank and (
            inp.promised_until is None or window is None or window.end <= inp.promised_until
        )
        rate, sample = book.on_time.get((service.account_id, service.service_id), (None, 0))
        if fleet is not None:
            price, source, fx_note, priced = fleet_price, "own fleet cost model", "", True
        else:
            price, source, fx_note, priced = _card_price(book, service, inp.parcel, distance)
            fleet_detail = ()
        if not priced:
            refusal = refusal or source
        options.append(
            RateOption(
                option_id=f"svc-{service.service_id}",
                account_id=service.account_id,
                account_name=service.account_name,
                courier=service.courier,
                service_id=service.service_id,
                service_name=service.name,
                service_code=service.code,
                level=service.level,
                price_minor=price,
                currency=book.currency,
                window=window,
                eligible=not refusal,
                refusal=refusal,
                keeps_promise=keeps,
                on_time_rate=rate if sample >= MIN_ON_TIME_SAMPLE else None,
                on_time_sample=sample,
                price_source=source,
                fx_note=fx_note,
                priced=priced,
                fleet_detail=fleet_detail,
            )
        )
    return options


def _on_earth(latitude: float | None, longitude: float | None) -> bool:
    """Coordinates to measure a distance to (not None, NaN, ±inf or out of range)."""
    return (
        latitude is not None
        and longitude is not None
        and abs(latitude) <= 90
        and abs(longitude) <= 180
    )


def _fleet_terms(
    fleet: FleetEntry, inp: RateInput, now_local: dt.datetime, refusal: str
) -> tuple[DeliveryWindow | None, int, tuple[str, ...], str]:
    """Own delivery: (window, price, detail, refusal) from its hub, cost model and waves."""
    # NaN or ±inf from a caller (JSON takes NaN) would make the price NaN: math.floor raises.
    if not _on_earth(inp.latitude, inp.longitude):
        return None, 0, (), refusal or "the address has no coordinates to plan a route to"
    straight = haversine_m(fleet.hub_latitude, fleet.hub_longitude, inp.latitude, inp.longitude)
    quote = fleet_quote(fleet, straight)
    detail = (f"{quote.road_km:.1f} km from {fleet.hub_name}",)
    if not refusal and inp.origin is not None and inp.origin.point_id != fleet.hub_id:
        refusal = f"its drivers leave from {fleet.hub_name}, the order ships from {inp.origin.name}"
    window = None
    if not refusal:
        window, wave, refusal = next_wave(fleet, now_local)
        if wave is not None:
            detail += (f"wave {wave:%H:%M} has room",)
    return window, quote.price_minor, detail, refusal


def _card_price(
    book: RateBook, service: ServiceEntry, parcel: Parcel, distance_m: float
) -> tuple[int, str, str, bool]:
    """The rate-card price in the merchant's currency: (minor, source, fx note, priced)."""
    card = price_minor(service, parcel, distance_m)
    try:
        converted = convert(
            card, from_currency=service.currency, to_currency=book.currency, what="rate card"
        )
    except NoExchangeRate as refusal:
        return 0, f"not priced: {refusal}", "", False
    if converted.note:
        return converted.minor, f"rate card, {converted.note}", converted.note, True
    return converted.minor, "rate card", "", True


def _label(o: RateOption) -> str:
    return f"{o.account_name} · {o.service_name}"


def _when(o: RateOption) -> str:
    return f"{o.window.end:%a %d %b %H:%M}" if o.window else "unknown"


def _cheapest(options: list[RateOption]) -> RateOption:
    return min(options, key=lambda o: (o.price_minor, _end(o), o.option_id))


def _end(o: RateOption) -> dt.datetime:
    return o.window.end if o.window else dt.datetime.max.replace(tzinfo=dt.UTC)


def _why_cheapest(best: RateOption, pool: list[RateOption], prefix: str = "") -> str:
    others = sorted(o.price_minor for o in pool if o is not best)
    tail = (
        f", {format_money(others[0] - best.price_minor, best.currency)} less than the next"
        if others
        else ", the only option"
    )
    return f"{prefix}Cheapest of {len(pool)} option(s): {_label(best)} at {best.price_text}{tail}."


def matching_rule(book: RateBook, inp: RateInput) -> CourierRuleEntry | None:
    """The first courier rule for the order's point and destination, or None (global rule)."""
    point_id = inp.origin.point_id if inp.origin is not None else None
    return next((r for r in book.courier_rules if r.matches(point_id, inp.zip_code)), None)


def choose(
    book: RateBook, options: list[RateOption], inp: RateInput
) -> tuple[RateOption | None, str]:
    """The option the merchant's rule picks and why: the first matching courier rule (its name
    leads the sentence), else the global rule."""
    chosen, why = _choose_by_rule(book, options, inp)
    if chosen is not None and chosen.fleet_detail:
        why = _why_own_driver(chosen, options, why)
    if chosen is not None and inp.pickup_name:
        why = f"Pickup point “{inp.pickup_name}”, the shopper's choice at checkout. {why}"
    return chosen, why


def _why_own_driver(chosen: RateOption, options: list[RateOption], why: str) -> str:
    """One sentence for own delivery: "Own driver: 2.1 km from Wicker Park, $3.10 against $7.85
    by Bike courier · Same day, wave 15:00 has room." (a courier rule's name stays in front)."""
    lead = why[: why.index(": ") + 2] if why.startswith("Rule “") else ""
    couriers = [o for o in options if o.eligible and not o.fleet_detail]
    against = ""
    if couriers:
        best = _cheapest(couriers)
        against = f" against {best.price_text} by {_label(best)}"
    distance, *rest = chosen.fleet_detail
    tail = f", {rest[0]}" if rest else ""
    return f"{lead}Own driver: {distance}, {chosen.price_text}{against}{tail}."


def _choose_by_rule(
    book: RateBook, options: list[RateOption], inp: RateInput
) -> tuple[RateOption | None, str]:
    found = matching_rule(book, inp)
    if found is None:
        return _choose(book, options, inp)
    lead = f"Rule “{found.name}”: "
    if found.rule == "service":
        own = [o for o in options if o.eligible and o.service_id == found.preferred_service_id]
        if own:
            best = _cheapest(own)
            return best, f"{lead}{_label(best)} at {best.price_text}, as the rule says."
        chosen, why = _choose(replace(book, rule="cheapest"), options, inp)
        return chosen, f"{lead}its service cannot carry this order, so the cheapest. {why}"
    ruled = replace(
        book,
        rule=found.rule,
        preferred_account_id=found.preferred_account_id,
        tolerance_pct=found.tolerance_pct,
    )
    chosen, why = _choose(ruled, options, inp)
    return chosen, f"{lead}{why}"


def _choose(
    book: RateBook, options: list[RateOption], inp: RateInput
) -> tuple[RateOption | None, str]:
    eligible = [o for o in options if o.eligible]
    if not eligible:
        return None, "No courier service can carry this order; see the reason beside each."
    pool = [o for o in eligible if o.keeps_promise]
    prefix = ""
    if not pool:
        pool = eligible
        prefix = (
            f"No option keeps the promised {LEVEL_NAME.get(inp.service_level, '')} delivery; "
            "choosing among the slower ones. "
        )
    rule = book.rule
    if rule == "fastest":
        best = min(pool, key=lambda o: (_end(o), o.price_minor, o.option_id))
        runner = sorted(_end(o) for o in pool if o is not best)
        if runner and best.window:
            lead = (runner[0] - best.window.end).total_seconds() / 3600
            tail = f", {lead:.0f} h before the next" if lead >= 1 else ", level with the next"
        else:
            tail = ""
        return best, f"{prefix}Fastest: {_label(best)} delivers by {_when(best)}{tail}."
    if rule == "best_on_time":
        known = [o for o in pool if o.on_time_rate is not None]
        if not known:
            best = _cheapest(pool)
            return best, _why_cheapest(
                best,
                pool,
                f"{prefix}No option has an on-time record yet ({MIN_ON_TIME_SAMPLE} delivered "
                "parcels needed), so the cheapest was chosen. ",
            )
        best = min(known, key=lambda o: (-o.on_time_rate, o.price_minor, o.option_id))
        rest = [o.on_time_rate for o in known if o is not best]
        tail = f" (next best {max(rest):.0%})" if rest else ""
        return best, (
            f"{prefix}Best on-time record: {_label(best)} delivered {best.on_time_rate:.0%} of "
            f"{best.on_time_sample} parcels on time{tail}."
        )
    if rule == "preferred" and book.preferred_account_id is not None:
        cheapest = _cheapest(pool)
        mine = [o for o in pool if o.account_id == book.preferred_account_id]
        if not mine:
            return cheapest, _why_cheapest(
                cheapest, pool, f"{prefix}The preferred courier has no option for this order. "
            )
        own = _cheapest(mine)
        limit = cheapest.price_minor * (1 + book.tolerance_pct / 100)
        if own.price_minor <= limit:
            return own, (
                f"{prefix}Preferred courier {_label(own)} at {own.price_text} is within "
                f"{book.tolerance_pct}% of the cheapest ({cheapest.price_text})."
            )
        return cheapest, _why_cheapest(
            cheapest,
            pool,
            f"{prefix}Preferred courier {own.account_name} costs {own.price_text}, more than "
            f"{book.tolerance_pct}% above the cheapest. ",
        )
    best = _cheapest(pool)
    return best, _why_cheapest(best, pool, prefix)


def _sorted(options: Iterable[RateOption]) -> tuple[RateOption, ...]:
    return tuple(
        sorted(options, key=lambda o: (not o.eligible, o.price_minor, _end(o), o.option_id))
    )


def shop(book: RateBook, inp: RateInput, now: dt.datetime) -> RateResult:
    """The pure rate shop: options from the rate cards, and the rule's choice."""
    options = build_options(book, inp, now)
    chosen, why = choose(book, options, inp)
    return RateResult(_sorted(options), chosen, why, rule_in_force(book, inp))


def rule_in_force(book: RateBook, inp: RateInput) -> str:
    """The rule that chose for this order: the matching courier rule's, else the global one."""
    found = matching_rule(book, inp)
    return found.rule if found is not None else book.rule


# --- live quotes ----------------------------------------------------------------------------

QuoteCall = Callable[[Any, ShipmentRequest], list[Quote]]


def quote_request(inp: RateInput, service_code: str = "any") -> ShipmentRequest:
    return ShipmentRequest(
        sender=inp.origin.address if inp.origin else {},
        recipient=inp.recipient,
        parcels=(inp.parcel,),
        service_code=service_code,
        reference=inp.reference or "quote",
        idempotency_key="",
    )


def with_live_quotes(
    options: list[RateOption],
    inp: RateInput,
    accounts: dict[int, Any],
    quote: QuoteCall,
    on_error: Callable[[Any, CourierError], None],
    on_success: Callable[[Any], None] = lambda account: None,
) -> list[RateOption]:
    """Replace rate-card prices by the couriers' own quotes where they give them.

    `quote(account, request)` calls the adapter; a CourierError keeps the rate-card price,
    marks those options, and is handed to `on_error` (which logs it on the account).
    """
    wanted = {o.account_id for o in options if o.eligible and o.account_id in accounts}
    if not wanted:
        return options
    request = quote_request(inp)

    def ask(account_id: int) -> tuple[int, list[Quote] | CourierError]:
        try:
            return account_id, quote(accounts[account_id], request)
        except CourierError as exc:
            return account_id, exc
        except Exception as exc:  # a bug in one adapter must not take the page down
            logger.exception("live quote from account %s failed", account_id)
            return account_id, CourierError(f"unexpected error: {type(exc).__name__}")

    with ThreadPoolExecutor(max_workers=min(8, len(wanted))) as pool:
        answers = dict(pool.map(ask, sorted(wanted)))
    result = []
    for option in options:
        answer = answers.get(option.account_id)
        if answer is None or not option.eligible:
            result.append(option)
        elif isinstance(answer, CourierError):
            result.append(replace(option, price_source="rate card (live quote failed)"))
        else:
            match = next((q for q in answer if q.service_code == option.service_code), None)
            if match is None:
                result.append(replace(option, price_source="rate card (no live quote)"))
            else:
                result.append(_with_quote(option, match))
    for account_id, answer in answers.items():
        if isinstance(answer, CourierError):
            on_error(accounts[account_id], answer)
        else:
            on_success(accounts[account_id])
    return result


def _with_quote(option: RateOption, quote: Quote) -> RateOption:
    """The option priced by the courier's quote, converted into the option's (the merchant's)
    currency at a stated rate; a quote that cannot be converted is refused and the rate card
    price kept, saying why."""
    try:
        converted = convert(
            quote.price_minor,
            from_currency=quote.currency,
            to_currency=option.currency,
            what="quote",
        )
    except NoExchangeRate as refusal:
        return replace(
            option, price_source=f"{option.price_source} (live quote refused: {refusal})"
        )
    window = quote.estimated_delivery or option.window
    if window is not None and option.window is not None:  # shown in the merchant's zone
        tz = option.window.start.tzinfo
        window = DeliveryWindow(window.start.astimezone(tz), window.end.astimezone(tz))
    return replace(
        option,
        price_minor=converted.minor,
        window=window,
        price_source=f"live quote, {converted.note}" if converted.note else "live quote",
        fx_note=converted.note,
        priced=True,
    )


def override(result: RateResult, option_id: str) -> RateOption:
    """Staff pick an option other than the rule's: it must be one of the eligible ones."""
    option = result.option(option_id)
    if option is None or not option.eligible:
        raise ValidationError({"option_id": "Choose one of the eligible options listed."})
    return option
