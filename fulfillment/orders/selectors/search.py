"""The order list's filters: status, storage point, address problem, dates and a search box."""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from fulfillment.models import Allocation, Order, OrderTag
from fulfillment.orders.selectors.orders import order_list
from merchant.models import Merchant, StoragePoint

_ZIP = re.compile(r"^\d{5}(-?\d{4})?$")
PROBLEMS = "problem"
UNALLOCATED = "unallocated"


def search_orders(
    merchant: Merchant,
    *,
    status: str = "",
    point: StoragePoint | None = None,
    address: str = "",
    created_from: dt.date | None = None,
    created_to: dt.date | None = None,
    query: str = "",
    source: str = "",
    service_level: str = "",
    zip_prefix: str = "",
    state: str = "",
    country: str = "",
    tag: str = "",
    tz: dt.tzinfo | None = None,
) -> QuerySet[Order]:
    """Newest first, each with its allocations and their points prefetched (2 more queries
    per page). `query` is a reference (exact or prefix), an e-mail address or a ZIP code;
    the destination filters match the normalised ZIP and state as well as the entered ones."""
    orders = order_list(merchant, status=status or None)
    if service_level:
        orders = orders.filter(service_level=service_level)
    zip_prefix = (zip_prefix or "").strip()
    if zip_prefix:
        orders = orders.filter(
            Q(normalized_postal_code__startswith=zip_prefix)
            | Q(postal_code__istartswith=zip_prefix)
        )
    state = (state or "").strip()
    if state:
        orders = orders.filter(Q(normalized_state__iexact=state) | Q(state__iexact=state))
    if country:
        orders = orders.filter(country=country.strip().upper())
    tag = (tag or "").strip().lower()
    if tag:
        orders = orders.filter(
            Exists(OrderTag.objects.filter(order=OuterRef("pk"), merchant=merchant, name=tag))
        )
    if point is not None:
        orders = orders.filter(
            Exists(
                Allocation.objects.filter(order=OuterRef("pk"), point=point).exclude(
                    state=Allocation.State.RELEASED
                )
            )
        )
    if address:
        orders = orders.filter(address_status=address)
    if source:
        orders = orders.filter(source=source)
    if created_from:
        orders = orders.filter(created_at__gte=_start_of(created_from, tz))
    if created_to:
        orders = orders.filter(created_at__lt=_start_of(created_to + dt.timedelta(days=1), tz))
    query = (query or "").strip()
    if query:
        if "@" in query:
            orders = orders.filter(shopper_email__iexact=query)
        elif _ZIP.match(query):
            orders = orders.filter(
                Q(normalized_postal_code=query[:5]) | Q(postal_code=query) | Q(reference=query)
            )
        else:
            orders = orders.filter(Q(reference=query) | Q(reference__startswith=query))
    return orders.prefetch_related(
        Prefetch(
            "allocations",
            queryset=Allocation.objects.exclude(state=Allocation.State.RELEASED).select_related(
                "point"
            ),
        )
    )


def _start_of(day: dt.date, tz: dt.tzinfo | None) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz or dt.UTC)


def exceptions(merchant: Merchant) -> QuerySet[Order]:
    """Orders staff must look at: an open address problem, or live but holding no stock."""
    held = Allocation.objects.filter(order=OuterRef("pk")).exclude(state=Allocation.State.RELEASED)
    return (
        Order.objects.for_merchant(merchant)
        .exclude(status__in=[Order.Status.CANCELLED, Order.Status.RETURNED])
        .filter(
            Q(address_status=Order.AddressStatus.PROBLEM)
            | Q(status=Order.Status.RECEIVED)
            | (
                Q(status__in=[Order.Status.ALLOCATED, Order.Status.PICKED, Order.Status.PACKED])
                & ~Exists(held)
            )
        )
        .order_by("-created_at", "-pk")
    )
