"""Routing: which storage point ships an order, and holding its stock there.

The rule, in order:
1. Only active, in-use points with coordinates that can still make the promised service
   (same day: before the point's cut-off in the merchant's time zone and open today).
2. The nearest (geodesic distance to the destination) of those holding every line.
3. If none does, the smallest split: the fewest points, then the least total distance. Two
   points are searched exhaustively (among the 40 nearest); three or more use a greedy set
   cover (each step takes the point that can send the most remaining units), which may use a
   point more than the optimum in rare cases.
4. If the eligible points together cannot fill the order it is refused (`Unroutable`), so the
   shop learns at checkout rather than after payment; nothing is written.

Stock is reserved through `merchant.services.stock.reserve_many` in the caller's transaction;
if another order took the units in between, the plan is made again once with fresh figures.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from dataclasses import dataclass, field
from itertools import combinations

from django.db import connection
from django.utils import timezone

from merchant.hours import closing_time, format_time
from merchant.models import Merchant, Product, StockLevel, StoragePoint, User
from merchant.rawsql import model_rows, placeholders
from merchant.services.geocoding import distance_m
from merchant.services.stock import OutOfStock, StockChange, reserve_many

SAME_DAY = "same_day"
PAIR_SEARCH_LIMIT = 40
CONSIDERED_SHOWN = 5
# Spherical distance is within 0.5 % of the geodesic one; a 1 % margin keeps the
# nearest-point choice exact while computing few (slow) geodesic distances.
SPHERE_MARGIN = 0.01
EARTH_RADIUS_M = 6_371_008.8
# What routing, the reservation and the allocation read of a point (the rest stays deferred).
POINT_FIELDS = (
    "id",
    "merchant_id",
    "name",
    "latitude",
    "longitude",
    "same_day_cutoff",
    "opening_hours",
)

# The stock of the needed products at the points that can ship: active, in use, geocoded.
PLAN_SQL = """
SELECT {point_columns}, s.product_id, s.on_hand, s.reserved
FROM {stock} s JOIN {point} p ON p.id = s.point_id
WHERE s.merchant_id = %s AND s.product_id IN ({products}) AND s.on_hand > s.reserved
  AND p.is_active AND p.role = %s AND p.latitude IS NOT NULL AND p.longitude IS NOT NULL
"""


class Unroutable(Exception):
    """No set of eligible storage points can fill the order."""

    def __init__(self, code: str, detail: str, *, field: str = "lines") -> None:
        super().__init__(detail)
        self.code, self.detail, self.field = code, detail, field


@dataclass
class PlannedAllocation:
    product: Product
    point: StoragePoint
    quantity: int
    distance_m: int
    rank: int
    why: str


@dataclass
class RoutingPlan:
    allocations: list[PlannedAllocation]
    considered: list[dict] = field(default_factory=list)
    rule: str = ""

    def as_json(self) -> dict:
        return {"rule": self.rule, "considered": self.considered}


def _sphere_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


class _Distances:
    """Cheap spherical distances for ranking, exact geodesic ones computed only when needed."""

    def __init__(self, destination: tuple[float, float]) -> None:
        self.destination = destination
        self.approx: dict[int, float] = {}
        self._exact: dict[int, float] = {}

    def add(self, point: StoragePoint) -> None:
        self.approx[point.pk] = _sphere_m(point.location, self.destination)

    def exact(self, point: StoragePoint) -> float:
        if point.pk not in self._exact:
            self._exact[point.pk] = distance_m(point.location, self.destination)
        return self._exact[point.pk]

    def nearest(self, points: list[StoragePoint]) -> StoragePoint:
        """The geodesically nearest of `points` (sorted by approximate distance)."""
        best, best_m = None, math.inf
        for point in points:
            if self.approx[point.pk] * (1 - SPHERE_MARGIN) > best_m:
                break
            metres = self.exact(point)
            if metres < best_m:
                best, best_m = point, metres
        return best


def same_day_refusal(point: StoragePoint, now_local: dt.datetime) -> str:
    """Why `point` cannot ship same day at `now_local` ("" when it can)."""
    if point.same_day_cutoff is None:
        return "has no same-day cut-off, so it does not ship same day"
    if now_local.time() >= point.same_day_cutoff:
        return f"is past its same-day cut-off ({point.same_day_cutoff:%H:%M})"
    closes = closing_time(point.opening_hours, now_local.date())
    if closes is False:
        return f"is closed today ({now_local:%A})"
    if closes is not None and closes <= now_local.time():
        return f"has closed for today ({format_time(closes)})"
    return ""


def plan_route(
    *,
    merchant: Merchant,
    needs: dict[int, int],
    products: dict[int, Product],
    destination: tuple[float, float],
    service_level: str,
    now: dt.datetime | None = None,
) -> RoutingPlan:
    """Choose the points and quantities (one query: the stock of the needed products)."""
    # Hand-written SQL and one partial StoragePoint per point rather than two model instances
    # per stock row: this runs for every order, and the ORM took 8x the CPU to build the query.
    point_rows = model_rows(StoragePoint, POINT_FIELDS, connection.vendor)
    sql = PLAN_SQL.format(
        point_columns=point_rows.select_list("p"),
        stock=StockLevel._meta.db_table,
        point=StoragePoint._meta.db_table,
        products=placeholders(len(needs)),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [merchant.pk, *needs, StoragePoint.Role.IN_USE])
        rows = cursor.fetchall()
    points: dict[int, StoragePoint] = {}
    available: dict[int, dict[int, int]] = {}
    width = len(POINT_FIELDS)
    for row in rows:
        point_id = row[0]
        if point_id not in points:
            points[point_id] = point_rows.instance(row)
        product_id, on_hand, reserved = row[width:]
        available.setdefault(point_id, {})[product_id] = on_hand - reserved

    now_local = (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(merchant.time_zone))
    distances = _Distances(destination)
    refusals: dict[int, str] = {}
    for point in points.values():
        distances.add(point)
        if service_level == SAME_DAY:
            refusals[point.pk] = same_day_refusal(point, now_local)
    by_distance = sorted(points.values(), key=lambda p: (distances.approx[p.pk], p.pk))
    eligible = [p for p in by_distance if not refusals.get(p.pk)]
    rank = {p.pk: n for n, p in enumerate(eligible, start=1)}

    def holds(point: StoragePoint, product_id: int, quantity: int) -> bool:
        return available[point.pk].get(product_id, 0) >= quantity

    considered = [
        {
            "point_id": p.pk,
            "name": p.name,
            "distance_m": round(distances.approx[p.pk]),  # spherical: within 0.5 %
            "eligible": not refusals.get(p.pk),
            "holds_all_lines": all(holds(p, pid, q) for pid, q in needs.items()),
            "note": refusals.get(p.pk, ""),
        }
        for p in by_distance[:CONSIDERED_SHOWN]
    ]

    complete = [p for p in eligible if all(holds(p, pid, q) for pid, q in needs.items())]
    if complete:
        point = distances.nearest(complete)
        why = f"Nearest point holding all {_lines(needs)}: {_km(distances.exact(point))}"
        if service_level == SAME_DAY:
            why += f", before its {point.same_day_cutoff:%H:%M} same-day cut-off"
        metres = round(distances.exact(point))
        plan = [
            PlannedAllocation(products[pid], point, q, metres, rank[point.pk], why)
            for pid, q in needs.items()
        ]
        return RoutingPlan(plan, considered, "nearest point holding every line")

    _check_fillable(needs, products, eligible, points, available, refusals)
    chosen = _best_pair(needs, eligible[:PAIR_SEARCH_LIMIT], available, distances)
    rule = "split over two points (fewest points, then least total distance)"
    if chosen is None:
        chosen = _greedy_cover(needs, eligible, available, distances)
        rule = f"split over {len(chosen)} points (greedy: most remaining units first)"
    chosen.sort(key=lambda p: distances.approx[p.pk])
    plan = []
    for pid, quantity in needs.items():
        remaining = quantity
        for point in chosen:
            take = min(remaining, available[point.pk].get(pid, 0))
            if take <= 0:
                continue
            remaining -= take
            why = (
                f"No single point holds all {_lines(needs)}; split over {len(chosen)} "
                f"points, this one {_km(distances.exact(point))} away sends "
                f"{take} × {products[pid].sku}"
            )
            plan.append(
                PlannedAllocation(
                    products[pid], point, take, round(distances.exact(point)), rank[point.pk], why
                )
            )
            if remaining == 0:
                break
    return RoutingPlan(plan, considered, rule)


def _lines(needs: dict[int, int]) -> str:
    return "1 line" if len(needs) == 1 else f"{len(needs)} lines"


def _km(metres: float) -> str:
    return f"{metres / 1000:.1f} km"


def _check_fillable(needs, products, eligible, points, available, refusals) -> None:
    for pid, quantity in needs.items():
        in_reach = sum(available[p.pk].get(pid, 0) for p in eligible)
        if in_reach >= quantity:
            continue
        anywhere = sum(available[p].get(pid, 0) for p in points)
        sku = products[pid].sku
        if anywhere >= quantity:
            reasons = "; ".join(
                f"{points[p].name} {why}"
                for p, why in refusals.items()
                if why and available[p].get(pid)
            )
            raise Unroutable(
                "service_not_available",
                f"{sku} × {quantity} cannot ship same day from the points that hold it "
                f"({reasons}). Offer next day instead.",
            )
        raise Unroutable("out_of_stock", f"Only {anywhere} of {sku} available; {quantity} ordered.")


def _best_pair(needs, candidates, available, distances) -> list[StoragePoint] | None:
    best, best_m = None, math.inf
    for a, b in combinations(candidates, 2):
        total = distances.approx[a.pk] + distances.approx[b.pk]
        if total >= best_m:
            continue
        if all(
            available[a.pk].get(pid, 0) + available[b.pk].get(pid, 0) >= q
            for pid, q in needs.items()
        ):
            best, best_m = [a, b], total
    return best


def _greedy_cover(needs, eligible, available, distances) -> list[StoragePoint]:
    remaining = dict(needs)
    chosen: list[StoragePoint] = []
    pool = list(eligible)
    while any(remaining.values()):

        def sends(p: StoragePoint) -> int:
            return sum(min(q, available[p.pk].get(pid, 0)) for pid, q in remaining.items())

        point = max(pool, key=lambda p: (sends(p), -distances.approx[p.pk]))
        pool.remove(point)
        chosen.append(point)
        for pid in remaining:
            remaining[pid] -= min(remaining[pid], available[point.pk].get(pid, 0))
    return chosen


def reserve_route(
    *,
    merchant: Merchant,
    needs: dict[int, int],
    products: dict[int, Product],
    destination: tuple[float, float],
    service_level: str,
    reference: str,
    user: User | None = None,
    plan: RoutingPlan | None = None,
    now: dt.datetime | None = None,
) -> RoutingPlan:
    """Reserve `plan` (made now if not given) in the caller's transaction. If another order
    took the units in between, plan once more with fresh figures; then Unroutable."""
    for attempt in range(2):
        if plan is None or attempt:
            plan = plan_route(
                merchant=merchant,
                needs=needs,
                products=products,
                destination=destination,
                service_level=service_level,
                now=now,
            )
        changes = [StockChange(a.product, a.point, a.quantity) for a in plan.allocations]
        try:
            reserve_many(merchant=merchant, changes=changes, reference=reference, user=user)
        except OutOfStock as error:
            if attempt:
                raise Unroutable("out_of_stock", str(error)) from error
            continue
        return plan
    raise AssertionError("unreachable")
