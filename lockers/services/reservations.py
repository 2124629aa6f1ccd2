"""Compartment holds made at checkout, their confirmation by the order, and their expiry.

A hold takes the smallest free compartment that fits, chosen with SELECT … FOR UPDATE SKIP
LOCKED so that concurrent checkouts each lock a different row instead of queueing on the same
one; the partial unique constraint on active reservations is the last guard.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from fulfillment.models import Order
from lockers.models import Compartment, LockerBank, Reservation
from lockers.parcels import SIZE_RANK, Parcel, fitting
from merchant.models import Merchant

EXPIRE_BATCH = 500


class NoCompartmentFree(Exception):
    """Every compartment of the bank that would fit the parcel is taken."""

    code = "no_compartment_free"

    def __init__(self, bank: LockerBank) -> None:
        self.message = f"{bank.name} has no free compartment that fits this parcel."
        super().__init__(self.message)


def hold_minutes() -> int:
    return int(getattr(settings, "NEARBOX_HOLD_MINUTES", 15))


def reserve_compartment(*, bank: LockerBank, parcel: Parcel) -> Reservation:
    """Hold the smallest free compartment of `bank` that fits `parcel`."""
    if not bank.is_active:
        raise ValidationError({"bank_id": f"{bank.name} is not in service."})
    now = timezone.now()
    try:
        with transaction.atomic():
            candidates = fitting(
                Compartment.objects.filter(bank=bank, state=Compartment.State.FREE), parcel
            ).annotate(rank=SIZE_RANK)
            compartment = (
                candidates.order_by("rank", "pk").select_for_update(skip_locked=True, of=("self",))
            ).first()
            if compartment is None:
                raise NoCompartmentFree(bank)
            Compartment.objects.filter(pk=compartment.pk).update(
                state=Compartment.State.HELD, updated_at=now
            )
            return Reservation.objects.create(
                merchant_id=bank.merchant_id,
                bank=bank,
                compartment=compartment,
                token=secrets.token_urlsafe(24),
                weight_g=parcel.weight_g,
                length_mm=parcel.length_mm,
                width_mm=parcel.width_mm,
                height_mm=parcel.height_mm,
                expires_at=now + timedelta(minutes=hold_minutes()),
            )
    except IntegrityError as exc:
        # Only reachable if a compartment row was changed outside this service.
        raise NoCompartmentFree(bank) from exc


def confirm_reservation(*, reservation_token: str, order: Order) -> Reservation:
    """Confirm the hold for `order` (called by order intake). Idempotent for the same order;
    an expired, released or foreign hold raises ValidationError on `reservation_token`."""
    with transaction.atomic():
        reservation = (
            Reservation.objects.select_for_update()
            .select_related("bank")
            .filter(token=reservation_token or "", merchant_id=order.merchant_id)
            .first()
        )
        if reservation is None:
            raise ValidationError(
                {"reservation_token": "No such locker reservation."}, code="unknown_reservation"
            )
        if reservation.status == Reservation.Status.CONFIRMED:
            if reservation.order_id == order.pk:
                return reservation
            raise ValidationError(
                {"reservation_token": "This locker reservation belongs to another order."},
                code="reservation_taken",
            )
        now = timezone.now()
        if reservation.status != Reservation.Status.HELD or reservation.expires_at <= now:
            raise ValidationError(
                {
                    "reservation_token": "The locker reservation has expired; choose the locker "
                    "again."
                },
                code="reservation_expired",
            )
        reservation.status = Reservation.Status.CONFIRMED
        reservation.order = order
        reservation.confirmed_at = now
        reservation.save(update_fields=["status", "order", "confirmed_at"])
    return reservation


def release_held(*, merchant: Merchant, reservation_token: str) -> Reservation:
    """The shopper chose something else at checkout: free the held compartment now instead of
    when the hold expires. Releasing twice, or a hold that already expired, changes nothing; a
    confirmed hold belongs to an order and raises ValidationError."""
    with transaction.atomic():
        reservation = (
            Reservation.objects.for_merchant(merchant)
            .select_for_update()
            .filter(token=reservation_token or "")
            .first()
        )
        if reservation is None:
            raise Reservation.DoesNotExist("No such locker reservation.")
        if reservation.status == Reservation.Status.HELD:
            release_reservation(reservation=reservation, status=Reservation.Status.RELEASED)
        elif reservation.status in (Reservation.Status.CONFIRMED, Reservation.Status.COMPLETED):
            raise ValidationError(
                {"reservation_token": "This reservation belongs to an order; cancel the order."},
                code="reservation_confirmed",
            )
    return reservation


def release_reservation(*, reservation: Reservation, status: str) -> None:
    """End an active reservation (expired or completed) and free its compartment, unless a
    parcel occupies it. Call inside a transaction holding the reservation's row lock."""
    reservation.status = status
    reservation.ended_at = timezone.now()
    reservation.save(update_fields=["status", "ended_at"])
    Compartment.objects.filter(pk=reservation.compartment_id, state=Compartment.State.HELD).update(
        state=Compartment.State.FREE, updated_at=reservation.ended_at
    )


def expire_holds(*, now=None) -> int:
    """Free the compartments of holds past their time; returns how many expired. Safe to run
    in several workers at once (locked rows are skipped) and to run twice."""
    now = now or timezone.now()
    expired = 0
    while True:
        with transaction.atomic():
            batch = list(
                Reservation.objects.select_for_update(skip_locked=True)
                .filter(status=Reservation.Status.HELD, expires_at__lte=now)
                .order_by("pk")[:EXPIRE_BATCH]
            )
            for reservation in batch:
                release_reservation(reservation=reservation, status=Reservation.Status.EXPIRED)
        expired += len(batch)
        if len(batch) < EXPIRE_BATCH:
            return expired
