"""Returns dropped off in a locker (fulfillment/returns/hooks.py): a return of a locker order
goes back into that locker. Approval holds the smallest free compartment that fits the order's
parcel for as long as a parcel waits for pickup (NEARBOX_PICKUP_DAYS): a hold tied to the order,
which the hold expiry frees if the shopper never comes; receiving the return completes the
reservation and frees the compartment."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fulfillment.models import Order
from fulfillment.returns.hooks import DropoffPlace
from lockers.models import LockerBank, Reservation
from lockers.selectors.network import location_for_ref
from lockers.services.pickup import _order_parcel
from lockers.services.reservations import (
    NoCompartmentFree,
    release_reservation,
    reserve_compartment,
)


def reserve_return_dropoff(*, order: Order) -> DropoffPlace | None:
    """A compartment of the order's own locker, or None (a home or shop order, a locker out of
    service or full: the shopper drops the parcel off at the storage point instead)."""
    bank = location_for_ref(order.merchant_id, order.pickup_location_ref)
    if not isinstance(bank, LockerBank) or not bank.is_active:
        return None
    try:
        reservation = reserve_compartment(bank=bank, parcel=_order_parcel(order))
    except NoCompartmentFree:
        return None
    # Held, not confirmed: a confirmed reservation is only freed by its parcel, and a shopper who
    # never drops the return off would keep the compartment taken for ever.
    Reservation.objects.filter(pk=reservation.pk).update(
        order=order, expires_at=timezone.now() + timedelta(days=settings.NEARBOX_PICKUP_DAYS)
    )
    compartment = reservation.compartment
    where = ", ".join(part for part in (bank.name, bank.address_line, bank.city) if part)
    size = compartment.get_size_display().lower()
    return DropoffPlace(
        place=f"{where}, compartment {compartment.label} ({size})",
        reference=reservation.token,
    )


def release_return_dropoff(*, merchant_id: int, reference: str) -> None:
    """The return was collected from the locker: its compartment is free again (once)."""
    with transaction.atomic():
        reservation = (
            Reservation.objects.select_for_update()
            .filter(merchant_id=merchant_id, token=reference)
            .first()
        )
        if reservation is not None and reservation.status in (
            Reservation.Status.HELD,
            Reservation.Status.CONFIRMED,
        ):
            release_reservation(reservation=reservation, status=Reservation.Status.COMPLETED)
