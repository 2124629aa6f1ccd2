"""Today's work per storage point: what to pick, to pack and to hand over.

Work is every live order at a point, not only today's: yesterday's unpicked order is still
today's work. Counts come from one grouped query over allocations; each list is one query.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum

from fulfillment.models import Allocation, Order, OrderLine
from merchant.models import Merchant, Product, StoragePoint

Status = Order.Status
LIVE = [Status.ALLOCATED, Status.PICKED, Status.PACKED]
SHOWN = 200  # rows of each list on the page; the counts are always complete


@dataclass
class PointWork:
    point: StoragePoint
    to_pick: int = 0
    units_to_pick: int = 0
    to_pack: int = 0
    to_hand_over: int = 0
    same_day_to_hand_over: int = 0

    @property
    def total(self) -> int:
        return self.to_pick + self.to_pack + self.to_hand_over


@dataclass
class PickItem:
    product: Product
    quantity: int = 0
    orders: list[tuple[Order, int]] = field(default_factory=list)


def work_points(merchant: Merchant) -> list[StoragePoint]:
    """Points that ship (active, in use) and any other point that still holds live work."""
    busy = Allocation.objects.filter(point=OuterRef("pk"), order__status__in=LIVE).exclude(
        state=Allocation.State.RELEASED
    )
    return list(
        StoragePoint.objects.for_merchant(merchant)
        .filter(Q(is_active=True, role=StoragePoint.Role.IN_USE) | Exists(busy))
        .order_by("name", "pk")
    )


def work_counts(merchant: Merchant) -> list[PointWork]:
    """Per point, how many orders wait to be picked, packed and handed over (2 queries)."""
    work = {point.pk: PointWork(point) for point in work_points(merchant)}
    rows = (
        Allocation.objects.for_merchant(merchant)
        .filter(order__status__in=LIVE)
        .exclude(state=Allocation.State.RELEASED)
        .values("point_id", "order__status")
        .annotate(
            orders=Count("order_id", distinct=True),
            units=Sum("quantity"),
            same_day=Count(
                "order_id",
                distinct=True,
                filter=Q(order__service_level=Order.ServiceLevel.SAME_DAY),
            ),
        )
    )
    for row in rows:
        entry = work.get(row["point_id"])
        if entry is None:
            continue
        status = row["order__status"]
        if status == Status.ALLOCATED:
            entry.to_pick, entry.units_to_pick = row["orders"], row["units"] or 0
        elif status == Status.PICKED:
            entry.to_pack = row["orders"]
        else:
            entry.to_hand_over, entry.same_day_to_hand_over = row["orders"], row["same_day"]
    return list(work.values())


def point_work(merchant: Merchant, point: StoragePoint) -> PointWork:
    for entry in work_counts(merchant):
        if entry.point.pk == point.pk:
            return entry
    return PointWork(point)


def pick_list(merchant: Merchant, point: StoragePoint) -> list[PickItem]:
    """Units to take off the shelves at `point`, by product (SKU order), with their orders."""
    allocations = (
        Allocation.objects.for_merchant(merchant)
        .filter(point=point, state=Allocation.State.RESERVED, order__status=Status.ALLOCATED)
        .select_related("line__product", "order")
        .order_by("line__product__sku", "order__created_at", "order_id", "pk")
    )
    items: dict[int, PickItem] = {}
    for allocation in allocations:
        product = allocation.line.product
        item = items.setdefault(product.pk, PickItem(product))
        item.quantity += allocation.quantity
        if item.orders and item.orders[-1][0].pk == allocation.order_id:
            order, quantity = item.orders[-1]
            item.orders[-1] = (order, quantity + allocation.quantity)
        else:
            item.orders.append((allocation.order, allocation.quantity))
    return list(items.values())


def orders_at_point(merchant: Merchant, point: StoragePoint, status: str) -> QuerySet[Order]:
    """Live orders in `status` with units at `point`, oldest first, with their unit count."""
    here = Allocation.objects.filter(order=OuterRef("pk"), point=point).exclude(
        state=Allocation.State.RELEASED
    )
    # A subquery rather than a join + GROUP BY: PostgreSQL then sums only the rows shown.
    units = (
        OrderLine.objects.filter(order=OuterRef("pk"))
        .values("order")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return (
        Order.objects.for_merchant(merchant)
        .filter(Exists(here), status=status)
        .annotate(units=Subquery(units))
        .order_by("created_at", "pk")
    )


def hand_over_by_service(merchant: Merchant, point: StoragePoint) -> dict[str, list[Order]]:
    """Packed orders at `point` by service level (same day first: it has a cut-off)."""
    groups: dict[str, list[Order]] = {level: [] for level in Order.ServiceLevel.values}
    for order in orders_at_point(merchant, point, Status.PACKED)[:SHOWN]:
        groups[order.service_level].append(order)
    return {level: orders for level, orders in groups.items() if orders}
