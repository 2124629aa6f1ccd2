"""The demo shop's shipments and their labels, so that a shipment page previews a real label.

Orders that left the building (packed and later) and have no shipment get one with the demo's
local bike courier (a manual courier: a Nearbox tracking number, no network needed while the
demo seeds), and every booked demo shipment without a label gets our 4x6 label stored.
Idempotent: a second run finds nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from demo.seeders.couriers import DEMO_LOCAL
from fulfillment.couriers.adapters import TrackingStatus
from fulfillment.couriers.adapters.manual import new_tracking_number
from fulfillment.labels.services.labels import label_for
from fulfillment.models import CourierAccount, CourierService, Order, Shipment
from fulfillment.shipments.services.booking import idempotency_key
from merchant.models import Merchant

SHIPPED_STATUS = {
    Order.Status.PACKED: TrackingStatus.INFO_RECEIVED,
    Order.Status.HANDED_OVER: TrackingStatus.IN_TRANSIT,
    Order.Status.DELIVERED: TrackingStatus.DELIVERED,
    Order.Status.RETURNED: TrackingStatus.DELIVERED,
}


@dataclass(frozen=True)
class DemoLabels:
    shipments_made: int
    labels_made: int
    skipped: int


def ensure_demo_labels(*, merchant: Merchant) -> DemoLabels:
    account = CourierAccount.objects.for_merchant(merchant).filter(name=DEMO_LOCAL).first()
    service = CourierService.objects.filter(account=account).order_by("pk").first()
    made = 0
    if service is not None:
        with transaction.atomic():
            shipped = set(
                Shipment.objects.for_merchant(merchant).values_list("order_id", flat=True)
            )
            orders = (
                Order.objects.for_merchant(merchant)
                .filter(status__in=list(SHIPPED_STATUS))
                .exclude(pk__in=shipped)
                .order_by("created_at", "pk")
            )
            for order in orders:
                Shipment.objects.create(
                    merchant=merchant,
                    order=order,
                    account=account,
                    service=service,
                    tracking_number=new_tracking_number(),
                    status=SHIPPED_STATUS[order.status].value,
                    idempotency_key=idempotency_key(order),
                    price_minor=service.base_minor,
                    currency=merchant.currency,
                    booked_at=order.created_at,
                    why="Demo data",
                )
                made += 1
    labels = skipped = 0
    unlabelled = (
        Shipment.objects.for_merchant(merchant)
        .exclude(tracking_number="")
        .filter(Q(label="") | Q(label__isnull=True))
        .select_related("merchant", "account", "service", "order")
    )
    for shipment in unlabelled:
        try:
            label_for(shipment, size="4x6")
        except ValidationError:  # e.g. an order without stock at a point: nothing to print
            skipped += 1
        else:
            labels += 1
    return DemoLabels(made, labels, skipped)
