"""Reads for the tracking pages: the shipments list, the exceptions queue and its count."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F, Q, QuerySet
from django.http import Http404

from fulfillment.models import Order, Shipment, ShipmentEvent
from fulfillment.orders.selectors.orders import orders_with_address_problems
from fulfillment.tracking import hooks
from fulfillment.tracking.status import PROBLEM_STATUSES
from merchant.models import Merchant


def get_shipment_for_merchant(merchant: Merchant, shipment_id: object) -> Shipment:
    try:
        return (
            Shipment.objects.for_merchant(merchant)
            .select_related("order", "account", "service")
            .get(pk=shipment_id)
        )
    except (Shipment.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No shipment with id {shipment_id}.") from None


def get_shipment_by_token(token: str) -> Shipment:
    if not token or len(token) > 64 or "\x00" in token:  # PostgreSQL's text refuses a NUL
        raise Http404("No such tracking page.")
    try:
        return Shipment.objects.select_related("merchant", "order", "account", "service").get(
            public_token=token
        )
    except Shipment.DoesNotExist:
        raise Http404("No such tracking page.") from None


def timeline(shipment: Shipment) -> QuerySet[ShipmentEvent]:
    return ShipmentEvent.objects.filter(shipment=shipment).order_by("-occurred_at", "-pk")


def shipment_list(
    merchant: Merchant, *, status: str = "", account_id: str = ""
) -> QuerySet[Shipment]:
    shipments = Shipment.objects.for_merchant(merchant).select_related("order", "account")
    if status:
        shipments = shipments.filter(status=status)
    if account_id:
        shipments = shipments.filter(account_id=account_id)
    return shipments.order_by("-created_at", "-pk")


def _open_exception() -> Q:
    problem = Q(is_stuck=True) | Q(status__in=PROBLEM_STATUSES)
    unhandled = Q(exception_handled_at__isnull=True) | Q(
        status_changed_at__gt=F("exception_handled_at")
    )
    return problem & unhandled & Q(cancelled_at__isnull=True)


def shipment_exceptions(merchant: Merchant) -> QuerySet[Shipment]:
    """Stuck parcels, failed attempts and courier exceptions that nobody has handled yet."""
    return (
        Shipment.objects.for_merchant(merchant)
        .filter(_open_exception())
        .select_related("order", "account")
        .order_by("status_changed_at", "pk")
    )


@dataclass
class ExceptionsQueue:
    shipments: QuerySet[Shipment]
    address_problems: QuerySet[Order]
    expiring_pickups: list[hooks.ExpiringPickup] = field(default_factory=list)


def exceptions_queue(merchant: Merchant) -> ExceptionsQueue:
    return ExceptionsQueue(
        shipment_exceptions(merchant),
        orders_with_address_problems(merchant),
        hooks.expiring_pickups(merchant),
    )


def exception_count(merchant: Merchant) -> int:
    """The dashboard's badge: open shipment exceptions, address problems, expiring pickups."""
    return (
        shipment_exceptions(merchant).count()
        + orders_with_address_problems(merchant).count()
        + len(hooks.expiring_pickups(merchant))
    )
