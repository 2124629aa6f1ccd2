"""Delivery options for a destination and a parcel: home services, the nearest lockers with
a free compartment that fits, the nearest pickup shops with room, each with an honest
"ready by" time from the storage point that would ship.

Nearest places come from the per-merchant KD-tree (lockers/selectors/spatial.py); compartments and
shop loads are checked in one query each for the few nearest candidates.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from fulfillment.checkout.services.pricing import Cart, price_answer
from fulfillment.couriers.adapters import Parcel as CourierParcel
from fulfillment.couriers.services.rates import Origin, RateBook, RateInput, build_options
from fulfillment.orders.services.routing import same_day_refusal
from fulfillment.risk.checkout import with_risk
from fulfillment.risk.features import AddressFacts
from fulfillment.risk.services import checkout_facts, pickup_hold_days
from lockers.models import Compartment, PickupParcel
from lockers.parcels import RANK_SIZE, Parcel
from lockers.selectors import checkout_cache, spatial
from merchant.hours import is_open, next_open, periods_on
from merchant.models import Merchant, StockLevel, StoragePoint
from merchant.rawsql import placeholders
from merchant.services.geocoding import GeocodeResult, MalformedPostalCode, geocode

MAX_CANDIDATES = 1024
ROUND_TO = dt.timedelta(minutes=15)
# Every service can carry a checkout's parcel at any speed: no promise narrows the choice yet.
CHECKOUT_SERVICE_LEVEL = "economy"


@dataclass(frozen=True)
class Destination:
    latitude: float
    longitude: float
    postal_code: str = ""
    country: str = "US"


def home_options(
    merchant: Merchant,
    destination: Destination,
    parcel: Parcel,
    *,
    point: StoragePoint | None,
    book: RateBook | None = None,
    now: dt.datetime | None = None,
) -> list[dict]:
    """Home-delivery services from the rate cards (no live courier quote: the checkout asks on
    every keystroke), shipped from `point`; cheapest first, then soonest:
    [{id, courier, service, price: {amount, currency}, eta: {from, until}}]."""
    if point is None or point.location is None:
        return []  # nothing ships from nowhere: every service would be refused
    if book is None:
        book = checkout_cache.rate_book(merchant, checkout_cache.versions(merchant.pk)[1])
    inp = RateInput(
        origin=Origin.for_point(point),
        latitude=destination.latitude,
        longitude=destination.longitude,
        zip_code=destination.postal_code[:5],
        parcel=CourierParcel(
            weight_g=parcel.weight_g,
            length_mm=parcel.length_mm,
            width_mm=parcel.width_mm,
            height_mm=parcel.height_mm,
        ),
        service_level=CHECKOUT_SERVICE_LEVEL,
    )
    eligible = [o for o in build_options(book, inp, now or timezone.now()) if o.eligible]
    eligible.sort(key=lambda o: (o.price_minor, o.window.end, o.option_id))
    return [
        {
            "id": o.option_id,
            "courier": o.account_name,
            "service": o.service_name,
            "level": o.level,
            "price": {"amount": o.price_minor, "currency": o.currency},
            "eta": {"from": o.window.start.isoformat(), "until": o.window.end.isoformat()},
        }
        for o in eligible
    ]


@functools.lru_cache(maxsize=20_000)
def _postcode_centroid(geocoder: str, postal_code: str, country: str) -> GeocodeResult:
    """Postcodes typed at checkout, remembered per process (they do not move, and the shared
    geocoding cache is a Redis round trip per keystroke). Keyed by the geocoder setting;
    unknown postcodes raise and are not remembered here."""
    return geocode(postal_code=postal_code, country=country)


def resolve_destination(
    *,
    country: str = "US",
    postal_code: str = "",
    address: str = "",
    lat: float | None = None,
    lon: float | None = None,
) -> Destination:
    """Coordinates given, or geocoded from the postal code or address (errors name the field)."""
    from django.core.exceptions import ValidationError

    from merchant.services.geocoding import GeocodingError

    if (lat is None) != (lon is None):
        raise ValidationError({"lon" if lon is None else "lat": "Give both lat and lon."})
    if lat is not None:
        if not (-90 <= lat <= 90) or not (-180 <= lon <= 180):
            raise ValidationError({"lat": "lat must be within ±90 and lon within ±180."})
        return Destination(latitude=lat, longitude=lon, country=country or "US")
    if not postal_code.strip() and not address.strip():
        raise ValidationError({"postal_code": "Give a postal_code, an address, or lat and lon."})
    try:
        if postal_code.strip() and not address.strip():
            found = _postcode_centroid(settings.NEARBOX_GEOCODER, postal_code, country or "US")
        else:
            found = geocode(postal_code=postal_code, address=address, country=country or "US")
    except MalformedPostalCode as exc:
        raise ValidationError({exc.field: exc.message}) from exc
    except GeocodingError as exc:
        raise ValidationError({exc.field: exc.message}, code="unknown_destination") from exc
    return Destination(found.latitude, found.longitude, found.postal_code, found.country)


# --- nearest candidates (the bench swaps these for a scan of every point) -------------------


def nearest_lockers(merchant_id: int, lat: float, lon: float, *, k: int, max_m: float, **index):
    indexes = spatial.network_indexes(merchant_id, index.get("version"))
    return indexes["lockers"].nearest(lat, lon, k=k, max_m=max_m)


def nearest_shops(merchant_id: int, lat: float, lon: float, *, k: int, max_m: float, **index):
    indexes = spatial.network_indexes(merchant_id, index.get("version"))
    return indexes["shops"].nearest(lat, lon, k=k, max_m=max_m)


# The two lookups below run on every checkout keystroke. They are plain SQL because building
# the equivalent ORM queries cost more than running them (lockers/parcels.py `fitting` is the
# same rule for the ORM: sides compared longest to longest, any way round).
FREE_SIZES_SQL = """
    SELECT bank_id, MIN(CASE size WHEN 'S' THEN 1 WHEN 'M' THEN 2 WHEN 'L' THEN 3 END)
    FROM {table}
    WHERE merchant_id = %s AND state = %s AND bank_id IN ({ids})
      AND max_weight_g >= %s
      AND {greatest}(inner_length_mm, inner_width_mm, inner_height_mm) >= %s
      AND inner_length_mm + inner_width_mm + inner_height_mm
          - {greatest}(inner_length_mm, inner_width_mm, inner_height_mm)
          - {least}(inner_length_mm, inner_width_mm, inner_height_mm) >= %s
      AND {least}(inner_length_mm, inner_width_mm, inner_height_mm) >= %s
    GROUP BY bank_id
"""
SHOP_LOADS_SQL = """
    SELECT shop_id, COUNT(*) FROM {table}
    WHERE merchant_id = %s AND status = %s AND shop_id IN ({ids})
    GROUP BY shop_id
"""


def _free_sizes_sql(bank_ids: list[int]) -> str:
    # SQLite (the embedded default) spells GREATEST/LEAST as the many-argument MAX/MIN.
    sqlite = connection.vendor == "sqlite"
    return FREE_SIZES_SQL.format(
        table=Compartment._meta.db_table,
        ids=placeholders(len(bank_ids)),
        greatest="MAX" if sqlite else "GREATEST",
        least="MIN" if sqlite else "LEAST",
    )


def _shop_loads_sql(shop_ids: list[int]) -> str:
    return SHOP_LOADS_SQL.format(table=PickupParcel._meta.db_table, ids=placeholders(len(shop_ids)))


def free_sizes(merchant: Merchant, bank_ids: list[int], parcel: Parcel) -> dict[int, str]:
    """{bank id: smallest size with a free compartment the parcel fits} in one query."""
    if not bank_ids:
        return {}
    a, b, c = parcel.sorted_dims
    sql = _free_sizes_sql(bank_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [merchant.pk, Compartment.State.FREE, *bank_ids, parcel.weight_g, a, b, c],
        )
        return {bank_id: RANK_SIZE[rank] for bank_id, rank in cursor.fetchall()}


def free_sizes_and_loads(
    merchant: Merchant, bank_ids: list[int], shop_ids: list[int], parcel: Parcel
) -> tuple[dict[int, str], dict[int, int]]:
    """free_sizes and shop_loads in one database round trip (UNION ALL of the two)."""
    if not bank_ids or not shop_ids:
        return free_sizes(merchant, bank_ids, parcel), shop_loads(merchant, shop_ids)
    a, b, c = parcel.sorted_dims
    lockers = _free_sizes_sql(bank_ids)
    shops = _shop_loads_sql(shop_ids)
    sql = f"SELECT 'L', * FROM ({lockers}) AS l UNION ALL SELECT 'S', * FROM ({shops}) AS s"
    params = [merchant.pk, Compartment.State.FREE, *bank_ids, parcel.weight_g, a, b, c]
    params += [merchant.pk, PickupParcel.Status.READY, *shop_ids]
    sizes: dict[int, str] = {}
    loads: dict[int, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, pk, value in cursor.fetchall():
            if kind == "L":
                sizes[pk] = RANK_SIZE[value]
            else:
                loads[pk] = value
    return sizes, loads


def shop_loads(merchant: Merchant, shop_ids: list[int]) -> dict[int, int]:
    """{shop id: parcels waiting there for collection} in one query."""
    if not shop_ids:
        return {}
    sql = _shop_loads_sql(shop_ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, [merchant.pk, PickupParcel.Status.READY, *shop_ids])
        return dict(cursor.fetchall())


# --- ready by --------------------------------------------------------------------------------


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * spatial.EARTH_RADIUS_M / 1000 * math.asin(min(1.0, math.sqrt(h)))


def shipping_point(
    merchant: Merchant,
    destination: Destination,
    cart: list[tuple[str, int]] | None,
    *,
    version: str | None = None,
) -> StoragePoint | None:
    """The nearest active in-use point (with every cart line in stock, when a cart is given)."""
    version = version or checkout_cache.versions(merchant.pk)[1]
    points = checkout_cache.shipping_points(merchant, version)
    if cart:
        needs = dict(cart)
        levels = StockLevel.objects.for_merchant(merchant).filter(
            point__in=points, product__sku__in=needs
        )
        stocked: dict[int, int] = {}
        for point_id, sku, on_hand, reserved in levels.values_list(
            "point_id", "product__sku", "on_hand", "reserved"
        ):
            if on_hand - reserved >= needs[sku]:
                stocked[point_id] = stocked.get(point_id, 0) + 1
        points = [p for p in points if stocked.get(p.pk) == len(needs)]
    here = (destination.latitude, destination.longitude)
    return min(points, key=lambda p: _km(here, p.location), default=None)


def dispatch_time(point: StoragePoint, now_local: dt.datetime) -> dt.datetime:
    """When the point hands the parcel over: now if it can still ship today, else its next
    opening (09:00 when it has no hours)."""
    if not same_day_refusal(point, now_local):
        return now_local
    hours = point.opening_hours or {}
    for offset in range(1, 8):
        day = now_local.date() + dt.timedelta(days=offset)
        if not hours:
            return dt.datetime.combine(day, dt.time(9), tzinfo=now_local.tzinfo)
        periods = periods_on(hours, day)  # a day the hours leave out is closed, as in routing
        if periods:
            return dt.datetime.combine(day, periods[0][0], tzinfo=now_local.tzinfo)
    return now_local + dt.timedelta(days=1)


def _round_up(moment: dt.datetime) -> dt.datetime:
    seconds = ROUND_TO.total_seconds()
    stamp = math.ceil(moment.timestamp() / seconds) * seconds
    return dt.datetime.fromtimestamp(stamp, tz=moment.tzinfo)


def ready_by(
    dispatch: dt.datetime | None,
    origin: tuple[float, float] | None,
    place: tuple[float, float],
    hours: dict,
    always: bool,
) -> str | None:
    if dispatch is None or origin is None:
        return None
    travel = dt.timedelta(hours=_km(origin, place) / settings.NEARBOX_PICKUP_SPEED_KMH)
    arrives = dispatch + dt.timedelta(minutes=settings.NEARBOX_PICKUP_LEAD_MINUTES) + travel
    return _round_up(next_open(hours, always, arrives)).isoformat()


# --- the answer ------------------------------------------------------------------------------


def delivery_options(
    *,
    merchant: Merchant,
    destination: Destination,
    parcel: Parcel,
    cart: list[tuple[str, int]] | None = None,
    limit: int = 5,
    now: dt.datetime | None = None,
    versions: tuple[str, str] | None = None,
    value_minor: int | None = None,
    tags: Iterable[str] = (),
    risk_facts: AddressFacts | None = None,
) -> dict:
    """The answer of the checkout API, priced by the merchant's checkout rules for a cart worth
    `value_minor` with `tags` (fulfillment/checkout/services/pricing.py). `versions`: the
    merchant's (network, checkout) cache versions when the caller has read them already
    (lockers/selectors/checkout_cache.py). `risk`: the destination's address risk, and over the
    merchant's threshold the nearest locker or shop first (fulfillment/risk/checkout.py)."""
    tz = zoneinfo.ZoneInfo(merchant.time_zone)
    now_local = (now or timezone.now()).astimezone(tz)
    here = (destination.latitude, destination.longitude)
    max_m = settings.NEARBOX_PICKUP_MAX_DISTANCE_M

    network_version, checkout_version = versions or checkout_cache.versions(merchant.pk)
    point = shipping_point(merchant, destination, cart, version=checkout_version)
    dispatch = dispatch_time(point, now_local) if point else None
    origin = point.location if point else None

    def place(row: tuple, distance: int, always: bool) -> dict:
        pk, name, line, city, state, postal, lat, lon, hours = row[:9]
        address = ", ".join(p for p in (line, city, " ".join(filter(None, (state, postal)))) if p)
        return {
            "id": pk,
            "name": name,
            "address": address,
            "lat": lat,
            "lon": lon,
            "distance_m": distance,
            "opening_hours": None if always else hours,
            "open_24_7": always,
            "open_now": is_open(hours, always, now_local),
            "ready_by": ready_by(dispatch, origin, (lat, lon), hours, always),
        }

    near_shops = nearest_shops(
        merchant.pk, *here, k=limit * 3, max_m=max_m, version=network_version
    )
    loads: dict[int, int] | None = None
    lockers: list[dict] = []
    k = max(4 * limit, 16)
    while True:
        near = nearest_lockers(merchant.pk, *here, k=k, max_m=max_m, version=network_version)
        bank_ids = [row[0] for row, _ in near]
        if loads is None:
            sizes, loads = free_sizes_and_loads(
                merchant, bank_ids, [row[0] for row, _ in near_shops], parcel
            )
        else:
            sizes = free_sizes(merchant, bank_ids, parcel)
        lockers = [
            {
                **place(row, metres, row[9]),
                "ref": f"locker:{row[0]}",
                "compartment_size": sizes[row[0]],
            }
            for row, metres in near
            if row[0] in sizes
        ][:limit]
        if len(lockers) >= limit or len(near) < k or k >= MAX_CANDIDATES:
            break
        k *= 4

    shops = [
        {**place(row, metres, False), "ref": f"shop:{row[0]}"}
        for row, metres in near_shops
        if loads.get(row[0], 0) < row[9]
    ][:limit]

    answer = {
        "destination": {
            "lat": destination.latitude,
            "lon": destination.longitude,
            "postal_code": destination.postal_code,
            "country": destination.country,
        },
        "parcel": parcel.as_dict(),
        "ships_from": None if point is None else {"id": point.pk, "name": point.name},
        "home": home_options(
            merchant,
            destination,
            parcel,
            point=point,
            book=checkout_cache.rate_book(merchant, checkout_version),
            now=now_local,
        ),
        "lockers": lockers,
        "shops": shops,
    }
    cart_facts = Cart(
        value_minor=value_minor,
        weight_g=parcel.weight_g,
        dims_mm=parcel.sorted_dims,
        country=destination.country,
        postal_code=destination.postal_code,
        tags=frozenset(tags),
        currency=merchant.currency,
    )
    answer = price_answer(
        answer,
        checkout_cache.checkout_rules(merchant, checkout_version),
        cart_facts,
        pickup_minor=settings.NEARBOX_SHOPIFY_PICKUP_PRICE_MINOR,
    )
    facts = risk_facts or checkout_facts(postal_code=destination.postal_code)
    return with_risk(answer, merchant=merchant, facts=facts, hold_days=pickup_hold_days())


def cart_tags(text: str) -> list[str]:
    """The cart's tags from the query's comma-separated text (at most 50)."""
    return [tag.strip() for tag in text.split(",") if tag.strip()][:50]


def answer_for_query(
    *,
    merchant: Merchant,
    country: str = "US",
    postal_code: str = "",
    address: str = "",
    lat: float | None = None,
    lon: float | None = None,
    cart: str = "",
    weight_g: int | None = None,
    length_mm: int | None = None,
    width_mm: int | None = None,
    height_mm: int | None = None,
    limit: int = 5,
    value_minor: int | None = None,
    tags: Iterable[str] = (),
    versions: tuple[str, str] | None = None,
    street: str = "",
    unit: str = "",
    company: str = "",
) -> dict:
    """The delivery-options API's answer for its query: the API and the checkout-rules preview
    (fulfillment/checkout, through its hook) both call this. Raises ValidationError. `street`,
    `unit`, `company`: the address as typed so far, for the address risk only."""
    from lockers.parcels import parcel_from_cart, parcel_from_dims, parse_cart

    lines = None
    if cart.strip():
        lines = parse_cart(cart)
        parcel = parcel_from_cart(merchant, lines)
    else:
        parcel = parcel_from_dims(
            weight_g=weight_g, length_mm=length_mm, width_mm=width_mm, height_mm=height_mm
        )
    destination = resolve_destination(
        country=country, postal_code=postal_code, address=address, lat=lat, lon=lon
    )
    return delivery_options(
        merchant=merchant,
        destination=destination,
        parcel=parcel,
        cart=lines,
        limit=limit,
        versions=versions,
        value_minor=value_minor,
        tags=tags,
        risk_facts=checkout_facts(
            postal_code=destination.postal_code or postal_code,
            street=street,
            unit=unit,
            company=company,
            pinned=lat is not None,
        ),
    )
