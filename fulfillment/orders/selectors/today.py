"""Today's work per storage point: what to pick, to pack and to hand over.

Work is every live order at a point, not only today's: yesterday's unpicked order is still
today's work. Counts come from one grouped query over allocations; each list is one query.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum

from fulfillment.models import Allocation, Order, OrderLine
from merchant.models import Merchant, Product, StoragePoint

Status = Order.Status
LIVE = Order.SHIPPABLE_STATUSES
SHOWN = 100  # orders of each list on the page; the counts are always complete
PRODUCTS_SHOWN = 100  # products of the pick list on the page (the PDF lists all)
ORDERS_PER_PRODUCT = 8  # order references beside each product on the page
ORDERS_SCANNED = 400  # oldest open orders of a point whose references fill those


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
    order_count: int = 0
    orders: list[tuple[Order, int]] = field(default_factory=list)

    @property
    def more_orders(self) -> int:
        """Orders of this product not listed (the page lists the oldest few)."""
        return self.order_count - len(self.orders)


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
    same_day = Q(order__service_level=Order.ServiceLevel.SAME_DAY)
    rows = (
        Allocation.objects.for_merchant(merchant)
        .filter(order__status__in=LIVE)
        .exclude(state=Allocation.State.RELEASED)
        .values("point_id", "order__status")
        .annotate(
            orders=Count("order_id", distinct=True),
            units=Sum("quantity"),
            same_day=Count("order_id", distinct=True, filter=same_day),
        )
        .order_by()
    )
    for row in rows:
        entry = work.get(row["point_id"])
        if entry is None:
            continue
        status, orders = row["order__status"], row["orders"]
        if status == Status.ALLOCATED:
            entry.to_pick, entry.units_to_pick = orders, row["units"] or 0
        elif status == Status.PICKED:
            entry.to_pack = orders
        else:
            entry.to_hand_over, entry.same_day_to_hand_over = orders, row["same_day"]
    return list(work.values())


def pick_list(
    merchant: Merchant,
    point: StoragePoint,
    *,
    products: int | None = None,
    orders_each: int | None = None,
) -> list[PickItem]:
    """Units to take off the shelves at `point`, by product (SKU order), with their orders,
    oldest first. Totals are summed in SQL; `products` caps the products and `orders_each` the
    orders listed per product (the page shows a few, the printed list takes all). 3 queries."""
    reserved = Allocation.objects.for_merchant(merchant).filter(
        point=point, state=Allocation.State.RESERVED, order__status=Status.ALLOCATED
    )
    totals = (
        reserved.values("line__product_id", "line__product__sku")
        .annotate(units=Sum("quantity"), orders=Count("order_id", distinct=True))
        .order_by("line__product__sku", "line__product_id")
        .values_list("line__product_id", "units", "orders")
    )
    if products:
        totals = totals[:products]
    totals = list(totals)
    if not totals:
        return []
    catalogue = Product.objects.in_bulk([product_id for product_id, _, _ in totals])
    items = {
        product_id: PickItem(catalogue[product_id], units or 0, orders)
        for product_id, units, orders in totals
    }
    allocations = reserved.filter(line__product_id__in=list(items))
    if orders_each:
        # The listed orders come from the oldest open orders at the point (the order index
        # reads them in creation order), not from a window over every allocation there: a
        # product whose orders are all newer shows only its count.
        oldest = orders_at_point(merchant, point, Status.ALLOCATED).values("pk")
        allocations = allocations.filter(order__in=oldest[:ORDERS_SCANNED])
    allocations = (
        allocations.select_related("order")
        .annotate(product_id=F("line__product_id"))
        .order_by("order__created_at", "order_id", "pk")
    )
    for allocation in allocations:
        item = items[allocation.product_id]
        if item.orders and item.orders[-1][0].pk == allocation.order_id:
            order, quantity = item.orders[-1]
            item.orders[-1] = (order, quantity + allocation.quantity)
        elif not orders_each or len(item.orders) < orders_each:
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
