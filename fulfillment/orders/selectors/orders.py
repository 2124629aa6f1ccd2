"""Reads of orders: the one ownership helper, the list, the detail, the exceptions queue."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from fulfillment.models import Allocation, Order, OrderEvent, OrderLine
from merchant.models import Merchant, get_for_merchant_or_404


def get_order_for_merchant(merchant: Merchant, order_id: object) -> Order:
    return get_for_merchant_or_404(Order, merchant, order_id)


def order_list(
    merchant: Merchant, *, status: str | None = None, created_after: dt.datetime | None = None
) -> QuerySet[Order]:
    """Newest first; served by the (merchant, -created_at) and (merchant, status, -created_at)
    indexes."""
    orders = Order.objects.for_merchant(merchant)
    if status:
        orders = orders.filter(status=status)
    if created_after:
        orders = orders.filter(created_at__gt=created_after)
    return orders.order_by("-created_at", "-pk")


def order_detail(merchant: Merchant, order_id: object) -> Order:
    """One order with its lines (and products), allocations (and points) and events: 4 queries."""
    orders = Order.objects.for_merchant(merchant).prefetch_related(
        Prefetch(
            "lines",
            queryset=OrderLine.objects.select_related("product").prefetch_related(
                Prefetch("allocations", queryset=Allocation.objects.select_related("point"))
            ),
        ),
        Prefetch("events", queryset=OrderEvent.objects.select_related("by")),
    )
    try:
        return orders.get(pk=order_id)
    except (Order.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No order with id {order_id}.") from None


def orders_with_address_problems(merchant: Merchant) -> QuerySet[Order]:
    """The exceptions queue: live orders whose address blocks their label."""
    return (
        Order.objects.for_merchant(merchant)
        .filter(address_status=Order.AddressStatus.PROBLEM)
        .exclude(status__in=[Order.Status.CANCELLED, Order.Status.RETURNED])
        .order_by("-created_at", "-pk")
    )
