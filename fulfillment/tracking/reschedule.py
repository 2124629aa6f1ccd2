"""A new delivery day for a parcel (#20 item 4): staff from the exceptions queue, the shopper
from the tracking page within the merchant's rules (fulfillment/tracking/shopper_actions.py).
The courier is told where its adapter takes it; the shopper gets one message per new day (the
same day asked twice is the same record and no second message)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fulfillment.messaging.services.order_messages import parcel_context, send_order_message
from fulfillment.models import Order, Shipment
from fulfillment.models.redirects import (
    DeliveryReschedule,
    ParcelRedirect,
    RequestedBy,
)
from fulfillment.tracking.actions import ask_courier
from fulfillment.tracking.signals import announce_touched
from fulfillment.tracking.status import FINAL_STATUSES

# The new day's window when the courier gives none: a working day in the merchant's zone.
DAY_STARTS, DAY_ENDS = dt.time(9), dt.time(18)


def local_today(merchant: Any, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(merchant.time_zone)).date()


ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(text: str) -> dt.date | None:
    """The day a form posted, as the date input sends it (YYYY-MM-DD); None for anything else
    (fromisoformat alone also takes "2026-W50-1", "20261207" and a cut-off "...T99:99")."""
    if not ISO_DAY.fullmatch(text or ""):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def day_range(*, today: dt.date, max_days: int) -> tuple[dt.date, dt.date]:
    """The days a parcel may be moved to: tomorrow up to `max_days` ahead."""
    return today + dt.timedelta(days=1), today + dt.timedelta(days=max_days)


def why_not_reschedulable(shipment: Shipment) -> str:
    if shipment.is_return:
        return "A return parcel cannot be given a delivery day."
    if shipment.cancelled_at is not None:
        return "This shipment was cancelled."
    if shipment.status in FINAL_STATUSES:
        return f"This parcel is {shipment.get_status_display().lower()}: no new day to pick."
    if shipment.status == "available_for_pickup":
        return "This parcel waits at its pickup point."
    redirected = ParcelRedirect.objects.filter(shipment=shipment).first()
    if redirected is not None:
        return f"This parcel now goes to {redirected.to_name}: it has no home delivery day."
    return ""


def _tell_courier(shipment: Shipment, day: dt.date) -> tuple[str, str]:
    return ask_courier(
        shipment,
        lambda adapter: adapter.reschedule(shipment.tracking_number, day),
        own_fleet=f"The {day:%a %d %b} plan picks this parcel up.",
        unbooked="Not booked yet.",
        not_supported=f"deliver {shipment.tracking_number} on {day:%a %d %b}.",
        refused="refused the new day",
    )


def reschedule(
    *,
    shipment: Shipment,
    day: dt.date,
    requested_by: str,
    max_days: int,
    user: Any = None,
    today: dt.date | None = None,
) -> tuple[DeliveryReschedule, bool]:
    """Move the delivery to `day` (tomorrow .. `max_days` ahead in the merchant's zone).
    Returns (record, created); the same day asked again returns the first record."""
    if requested_by not in RequestedBy.values:
        raise ValueError(f"unknown requester {requested_by!r}")
    merchant = shipment.merchant
    first, last = day_range(today=today or local_today(merchant), max_days=max_days)
    if not first <= day <= last:
        raise ValidationError(
            {"day": f"Pick a day from {first:%a %d %b} to {last:%a %d %b}."},
            code="day_out_of_range",
        )
    tz = zoneinfo.ZoneInfo(merchant.time_zone)
    with transaction.atomic():
        locked = (
            Shipment.objects.select_for_update(of=("self",))
            .select_related("account")
            .get(pk=shipment.pk)
        )
        latest = DeliveryReschedule.objects.filter(shipment=locked).order_by("-created_at", "-pk")
        latest = latest.first()
        if latest is not None and latest.day == day:
            return latest, False  # a double submit: one record, one message
        problem = why_not_reschedulable(locked)
        if problem:
            raise ValidationError({"day": ValidationError(problem, code="not_reschedulable")})
        told, note = _tell_courier(locked, day)
        values = {
            "requested_by": requested_by,
            "requested_by_user": user if getattr(user, "is_authenticated", False) else None,
            "created_at": timezone.now(),
            "from_promised_from": locked.promised_from,
            "from_promised_until": locked.promised_until,
            "courier_told": told,
            "courier_note": note[:300],
            "notified_at": None,
        }
        # Back to a day asked before (Tue, then Thu, then Tue again): that day's row becomes
        # the latest again (one row per day) and the shopper hears of it again.
        record, _ = DeliveryReschedule.objects.update_or_create(
            shipment=locked,
            day=day,
            defaults=values,
            create_defaults={
                **values,
                "merchant_id": locked.merchant_id,
                "order_id": locked.order_id,
            },
        )
        start = dt.datetime.combine(day, DAY_STARTS, tzinfo=tz)
        end = dt.datetime.combine(day, DAY_ENDS, tzinfo=tz)
        locked.promised_from, locked.promised_until = start, end
        locked.exception_handled_at = timezone.now()
        locked.is_stuck = False
        locked.save(
            update_fields=["promised_from", "promised_until", "exception_handled_at", "is_stuck"]
        )
        Order.objects.filter(pk=locked.order_id).update(promised_from=start, promised_until=end)
        announce_touched(locked)
        transaction.on_commit(lambda: notify_shopper(record.pk))
    return record, True


def notify_shopper(reschedule_id: int) -> bool:
    """The one message about a new day (the merchant's editable "rescheduled" message),
    claimed on its record first (never sent twice)."""
    if not DeliveryReschedule.objects.filter(pk=reschedule_id, notified_at__isnull=True).update(
        notified_at=timezone.now()
    ):
        return False
    record = DeliveryReschedule.objects.select_related(
        "order__merchant", "shipment__account", "shipment__order"
    ).get(pk=reschedule_id)
    tz = zoneinfo.ZoneInfo(record.order.merchant.time_zone or "UTC")
    context = parcel_context(
        record.shipment,
        event="rescheduled",
        delivery_day=record.day,
        eta_from=dt.datetime.combine(record.day, DAY_STARTS, tzinfo=tz),
        eta_until=dt.datetime.combine(record.day, DAY_ENDS, tzinfo=tz),
    )
    send_order_message(
        order_id=record.order_id, event="rescheduled", context=context, once_per_order=False
    )
    return True
