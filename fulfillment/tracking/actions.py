"""What staff do about a shipment in the exceptions queue: cancel it, mark the order refunded,
reship it (a new shipment with the same courier service, booked in the background), or mark it
handled. Contacting the shopper is a prepared email (mailto) on the page; redirecting to a
locker or shop goes through the pickup network's redirector (tracking/hooks.py) and rescheduling
through tracking/reschedule.py (docs/exceptions.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fulfillment.couriers.adapters.errors import CourierError, CourierNotSupported
from fulfillment.couriers.services import accounts as courier_service
from fulfillment.models import Shipment
from fulfillment.models.redirects import CourierTold
from fulfillment.shipments.services.voiding import cancel_at_courier
from fulfillment.tracking.signals import announce_touched
from fulfillment.tracking.status import FINAL_STATUSES


def ask_courier(
    shipment: Shipment,
    ask: Callable[[Any], object],
    *,
    own_fleet: str,
    unbooked: str,
    not_supported: str,
    refused: str,
) -> tuple[str, str]:
    """Tell the shipment's courier of a change (`ask(adapter)`: a redirect, a new day) where its
    adapter can be told: (CourierTold, the note staff read). Our own fleet needs no call; a
    booking still to come carries the change; otherwise staff are told to tell the courier
    ("Tell UPS to " + `not_supported`) or that it refused ("UPS " + `refused` + why)."""
    account = shipment.account
    if account.courier == "own_fleet":
        return CourierTold.OWN_FLEET, own_fleet
    if not shipment.tracking_number:
        return CourierTold.YES, unbooked
    try:
        ask(courier_service.adapter_for(account))
    except CourierNotSupported:
        return CourierTold.NOT_SUPPORTED, f"Tell {account.name} to {not_supported}"
    except CourierError as error:
        return CourierTold.FAILED, f"{account.name} {refused}: {error}"[:300]
    return CourierTold.YES, ""


def _locked(shipment: Shipment) -> Shipment:
    return Shipment.objects.select_for_update().get(pk=shipment.pk)


def mark_handled(*, shipment: Shipment) -> Shipment:
    with transaction.atomic():
        locked = _locked(shipment)
        locked.exception_handled_at = timezone.now()
        locked.is_stuck = False
        locked.save(update_fields=["exception_handled_at", "is_stuck"])
        announce_touched(locked)
    return locked


def cancel_shipment(*, shipment: Shipment) -> Shipment:
    """Stop the shipment: the courier is asked to cancel where it can; tracking stops."""
    if shipment.cancelled_at is not None:
        raise ValidationError({"action": "This shipment is already cancelled."})
    if shipment.status == "delivered":
        raise ValidationError({"action": "A delivered shipment cannot be cancelled."})
    try:
        note = cancel_at_courier(shipment).note if shipment.tracking_number else ""
    except CourierError as error:
        note = f"The courier refused the cancellation: {error}"
    with transaction.atomic():
        locked = _locked(shipment)
        locked.cancelled_at = timezone.now()
        locked.exception_handled_at = locked.cancelled_at
        locked.next_poll_at = None
        locked.is_stuck = False
        locked.last_error = note[:500]
        locked.save(
            update_fields=[
                "cancelled_at", "exception_handled_at", "next_poll_at", "is_stuck", "last_error",
            ]
        )  # fmt: skip
        announce_touched(locked)
    return locked


def mark_refunded(*, shipment: Shipment) -> Shipment:
    """A marker for the shop's own refund (Nearbox moves no money)."""
    with transaction.atomic():
        locked = _locked(shipment)
        if locked.refunded_at is not None:
            raise ValidationError({"action": "This shipment is already marked refunded."})
        locked.refunded_at = timezone.now()
        locked.exception_handled_at = locked.refunded_at
        locked.save(update_fields=["refunded_at", "exception_handled_at"])
        announce_touched(locked)
    return locked


def reship(*, shipment: Shipment) -> Shipment:
    """A new shipment of the same order with the same courier service, booked by the task.

    The original is cancelled if it is still moving. Its own idempotency key (original key +
    "-reship-N") makes the courier booking safe to retry.
    """
    from fulfillment.shipments.tasks import book_shipment_task

    if shipment.status == "delivered":
        raise ValidationError({"action": "This parcel was delivered; nothing to reship."})
    if shipment.status not in FINAL_STATUSES and shipment.cancelled_at is None:
        shipment = cancel_shipment(shipment=shipment)
    with transaction.atomic():
        original = _locked(shipment)
        number = Shipment.objects.filter(reship_of=original).count() + 1
        new = Shipment.objects.create(
            merchant_id=original.merchant_id,
            order_id=original.order_id,
            account_id=original.account_id,
            service_id=original.service_id,
            idempotency_key=f"{original.idempotency_key}-reship-{number}"[:100],
            price_minor=original.price_minor,
            currency=original.currency,
            chosen_by=Shipment.ChosenBy.STAFF,
            why=f"Reship of shipment {original.pk}",
            reship_of=original,
        )
        original.exception_handled_at = timezone.now()
        original.save(update_fields=["exception_handled_at"])
        announce_touched(original)
        book_shipment_task.delay_on_commit(new.pk)
    return new
