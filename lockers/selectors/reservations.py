"""Reads of compartment reservations and of where a pickup order goes, through the merchant."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.urls import reverse

from fulfillment.hooks import PickupPlace
from lockers.models import LockerBank, PickupParcel, PickupShop, Reservation
from lockers.selectors.network import location_for_ref
from merchant.models import Merchant


def reservations_for_merchant(
    merchant: Merchant, *, status: str = "", bank_id: int | None = None, query: str = ""
) -> QuerySet:
    """The merchant's compartment holds, newest first, with their bank, compartment and order;
    `query` matches the order reference or the compartment label."""
    found = Reservation.objects.for_merchant(merchant).select_related(
        "bank", "compartment", "order"
    )
    if status:
        found = found.filter(status=status)
    if bank_id is not None:
        found = found.filter(bank_id=bank_id)
    if query:
        found = found.filter(
            Q(order__reference__icontains=query) | Q(compartment__label__iexact=query)
        )
    return found.order_by("-created_at", "-pk")


def place_kind_and_url(place: LockerBank | PickupShop) -> tuple[str, str]:
    """What a pickup place is ("parcel locker" or "pickup shop") and its dashboard page."""
    if isinstance(place, LockerBank):
        return "parcel locker", reverse("pickup_bank_detail", args=[place.pk])
    return "pickup shop", reverse("pickup_shop_detail", args=[place.pk])


def order_pickup_place(order) -> PickupPlace | None:
    """The locker or shop a pickup order goes to (of the order's own merchant), with the
    compartment held or used for it and the state of its hold and parcel."""
    place = location_for_ref(order.merchant_id, order.pickup_location_ref)
    if place is None:
        return None
    reservation = (
        Reservation.objects.filter(merchant_id=order.merchant_id, order_id=order.pk)
        .select_related("compartment")
        .order_by("-pk")
        .first()
    )
    parcel = (
        PickupParcel.objects.filter(merchant_id=order.merchant_id, order_id=order.pk)
        .select_related("compartment")
        .order_by("-pk")
        .first()
    )
    kind, url = place_kind_and_url(place)
    compartment = (parcel and parcel.compartment) or (reservation and reservation.compartment)
    held = reservation is not None and reservation.status == Reservation.Status.HELD
    return PickupPlace(
        kind=kind.capitalize(),
        name=place.name,
        address=place.address,
        url=url,
        compartment=(
            f"{compartment.label} ({compartment.get_size_display().lower()})" if compartment else ""
        ),
        reservation_status=reservation.get_status_display() if reservation else "",
        reservation_until=reservation.expires_at if held else None,
        parcel_status=parcel.get_status_display() if parcel else "",
        collect_by=(
            parcel.collect_by
            if parcel is not None and parcel.status == PickupParcel.Status.READY
            else None
        ),
    )
