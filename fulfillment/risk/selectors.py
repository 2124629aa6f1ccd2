"""Reads for the address risk pages and API, always scoped to the merchant."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from fulfillment.models import Order, Shipment, ShipmentEvent
from fulfillment.models.risk import OrderRisk
from fulfillment.risk.model import threshold_effect
from fulfillment.risk.services import FAILURE_STATUSES
from merchant.models import Merchant


def last_month(merchant: Merchant, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The previous calendar month in the merchant's time zone, as aware bounds."""
    local = now.astimezone(zoneinfo.ZoneInfo(merchant.time_zone))
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    return previous, first


def threshold_preview(merchant: Merchant, threshold: float, *, now: dt.datetime | None = None):
    """Of last month's scored home-delivery orders: how many the threshold would have moved to a
    locker or shop, and how many failed deliveries were among them (avoided if the shopper took
    the suggestion)."""
    start, end = last_month(merchant, now or timezone.now())
    # As in training (services.history_records): the order's own shipments, never the
    # shopper's return parcel, whose "returned" is the return arriving, not a failed delivery.
    bad = ShipmentEvent.objects.filter(
        shipment__order=OuterRef("order_id"),
        shipment__is_return=False,
        status__in=FAILURE_STATUSES,
    )
    failed_status = Shipment.objects.filter(
        order=OuterRef("order_id"), is_return=False, status__in=FAILURE_STATUSES
    )
    rows = (
        OrderRisk.objects.for_merchant(merchant)
        .filter(
            order__created_at__gte=start,
            order__created_at__lt=end,
            order__delivery_kind=Order.DeliveryKind.HOME,
            score__isnull=False,
        )
        .annotate(
            failed=ExpressionWrapper(
                Q(Exists(bad)) | Q(Exists(failed_status)), output_field=BooleanField()
            )
        )
        .values_list("score", "failed")
    )
    scores, failed = [], []
    for score, was_bad in rows:
        scores.append(score)
        failed.append(bool(was_bad))
    effect = threshold_effect(scores, failed, threshold)
    effect["month"] = start.strftime("%B %Y")
    return effect


def get_order_risk_for_merchant(merchant: Merchant, order_id: object) -> OrderRisk:
    """The score of one of the merchant's orders; 404 for another merchant's order too."""
    try:
        return OrderRisk.objects.for_merchant(merchant).get(order_id=int(order_id))
    except (OrderRisk.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No address risk score for that order.") from None
