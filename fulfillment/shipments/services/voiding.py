"""Void a label before hand-over: the courier is told where it takes cancellations through its
API (else the label is only marked void and staff call them), tracking stops, and the order is
ready to ship again with its stock still set aside for it (allocations are not touched).

Voiding is idempotent and safe under two clicks at once: the shipment row is locked for the
whole step, the courier call included, so the second click waits and then finds it voided.
A courier that refuses (already picked up) or cannot be reached voids nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fulfillment.couriers.adapters.errors import (
    CourierError,
    CourierNotSupported,
    CourierUnavailable,
)
from fulfillment.couriers.adapters.types import TrackingStatus
from fulfillment.couriers.services import accounts as courier_service
from fulfillment.models import OrderEvent, Shipment
from fulfillment.models.shipments import RefundState
from fulfillment.shipments.signals import shipment_voided
from merchant.models import User

logger = logging.getLogger(__name__)

# Before the courier has the parcel: booked (or still being booked), label printed or not.
VOIDABLE_STATUSES = frozenset({TrackingStatus.PENDING.value, TrackingStatus.INFO_RECEIVED.value})
# Couriers whose labels cost nothing to make (our own drivers): a void refunds nothing.
FREE_LABEL_COURIERS = frozenset({"manual"})


class CannotVoid(ValidationError):
    """Too late (handed over, delivered), or the courier refused or could not be reached."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__({"shipment": message}, code=code)
        self.problem_code = code


@dataclass(frozen=True)
class CourierCancel:
    """What the courier said to a cancellation: done through its API, or not possible there."""

    confirmed: bool
    note: str = ""


def cancel_at_courier(shipment: Shipment) -> CourierCancel:
    """Ask the shipment's courier to cancel its booking. Raises CourierError when the courier
    refuses or is unreachable; a courier with no cancellation API answers confirmed=False."""
    if not shipment.tracking_number:
        return CourierCancel(confirmed=True, note="Not booked with the courier yet.")
    adapter = courier_service.adapter_for(shipment.account)
    try:
        adapter.cancel(shipment.tracking_number)
    except CourierNotSupported:
        return CourierCancel(
            confirmed=False, note="The courier takes no cancellations through its API: call them."
        )
    return CourierCancel(confirmed=True)


def void_problem(shipment: Shipment) -> CannotVoid | None:
    """Why this shipment's label can no longer be voided, or None."""
    if shipment.is_return:
        return CannotVoid("A return label is not voided here.", code="not_voidable")
    if shipment.cancelled_at is not None and shipment.voided_at is None:
        return CannotVoid("This shipment was cancelled already.", code="not_voidable")
    if shipment.handed_over_at is not None or shipment.status not in VOIDABLE_STATUSES:
        return CannotVoid(
            f"Too late to void: the parcel is {shipment.get_status_display().lower()}, "
            "so the courier has it. Cancel it from the exceptions queue or ask for a return.",
            code="too_late_to_void",
        )
    return None


def can_void(shipment: Shipment) -> bool:
    return shipment.voided_at is None and void_problem(shipment) is None


def void_shipment(*, shipment: Shipment, by: User | None) -> Shipment:
    """Void the shipment's label; returns it voided (the same row again if it already was).

    Raises CannotVoid: too late (the courier has the parcel), the courier refused, or the
    courier is unreachable (nothing changed; try again)."""
    with transaction.atomic():
        # Locked across the courier call: a second click waits here and then returns the
        # voided row, so the courier is asked once.
        locked = (
            Shipment.objects.select_for_update()
            .select_related("account", "order")
            .get(pk=shipment.pk, merchant_id=shipment.merchant_id)
        )
        if locked.voided_at is not None:
            return locked
        problem = void_problem(locked)
        if problem is not None:
            raise problem
        try:
            answer = cancel_at_courier(locked)
        except CourierUnavailable as error:
            raise CannotVoid(
                f"The courier could not be reached ({error}); nothing was voided, try again.",
                code="courier_unavailable",
            ) from None
        except CourierError as error:
            raise CannotVoid(
                f"The courier refused to cancel the label: {error}", code="courier_refused"
            ) from None
        now = timezone.now()
        locked.voided_at = now
        locked.voided_by = by
        locked.cancelled_at = locked.cancelled_at or now  # tracking and the order ignore it
        locked.next_poll_at = None
        locked.is_stuck = False
        locked.refund_state, locked.refund_minor = _refund(locked, answer)
        locked.last_error = answer.note[:500]
        locked.save(
            update_fields=[
                "voided_at", "voided_by", "cancelled_at", "next_poll_at", "is_stuck",
                "refund_state", "refund_minor", "last_error",
            ]
        )  # fmt: skip
        order = locked.order
        OrderEvent.objects.create(
            merchant_id=order.merchant_id,
            order=order,
            from_status=order.status,
            to_status=order.status,
            by=by,
            note=f"Label {locked.tracking_number or locked.pk} voided; ready to ship again."[:255],
        )
        merchant_id, shipment_id = locked.merchant_id, locked.pk
        transaction.on_commit(
            lambda: shipment_voided.send(
                sender=Shipment, shipment_id=shipment_id, merchant_id=merchant_id
            )
        )
    logger.info("shipment %s voided (%s)", locked.pk, locked.refund_state or "no refund")
    return locked


def _refund(shipment: Shipment, answer: CourierCancel) -> tuple[str, int | None]:
    """The label's price comes back on the courier's invoice when it confirmed the cancel."""
    if not shipment.tracking_number or shipment.account.courier in FREE_LABEL_COURIERS:
        return RefundState.NOT_CHARGED, 0
    if answer.confirmed:
        return RefundState.REQUESTED, shipment.price_minor
    return RefundState.CALL_COURIER, None
