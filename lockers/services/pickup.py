"""Parcels at lockers and pickup shops: arrival (which issues the pickup code), hand-over
against the code, and expiry of parcels nobody collected. Arrival and hand-over move the order
on (ready for pickup, delivered) in their own transactions.

The 6-digit PIN is stored only as an HMAC keyed with SECRET_KEY and the parcel's random token,
so a copy of the database does not give the codes away; guessing is limited by a per-place
counter of wrong codes (NEARBOX_PICKUP_WRONG_CODES per NEARBOX_PICKUP_WRONG_CODE_WINDOW s).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fulfillment.models import Order, Shipment
from fulfillment.orders.services import status as order_status
from lockers.models import Compartment, LockerBank, PickupParcel, PickupShop, Reservation
from lockers.parcels import Parcel
from lockers.services.reservations import (
    NoCompartmentFree,
    release_reservation,
    reserve_compartment,
)
from lockers.signals import parcel_collected, parcel_return_requested, pickup_code_issued
from merchant import ratelimit

QR_PREFIX = "NBX1"
# The QR printed on a pickup order's shipping label: the place it goes to and its tracking
# number. The shopper's own code cannot go on the label (whoever holds the parcel could read
# it); this one lets the counter page or locker terminal check the parcel in with one scan.
CHECK_IN_PREFIX = "NBX1-IN"
Place = LockerBank | PickupShop


class TooManyWrongCodes(Exception):
    code = "too_many_attempts"

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        self.message = f"Too many wrong codes here; try again in {retry_after // 60 + 1} minutes."
        super().__init__(self.message)


class WrongCode(Exception):
    code = "wrong_code"

    def __init__(self, attempts_left: int) -> None:
        self.attempts_left = attempts_left
        self.message = f"That code does not match a parcel here ({attempts_left} tries left)."
        super().__init__(self.message)


@dataclass(frozen=True)
class Arrival:
    parcel: PickupParcel
    pin: str  # empty when the parcel had already arrived (the code was sent then)
    qr_payload: str
    created: bool


def code_hash(token: str, pin: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{token}:{pin}".encode(), hashlib.sha256).hexdigest()


def _place_filter(place: Place) -> Q:
    return Q(bank=place) if isinstance(place, LockerBank) else Q(shop=place)


def _limits() -> tuple[int, int]:
    return (
        int(getattr(settings, "NEARBOX_PICKUP_WRONG_CODES", 5)),
        int(getattr(settings, "NEARBOX_PICKUP_WRONG_CODE_WINDOW", 900)),
    )


def _scope(place: Place) -> str:
    return f"code:{'bank' if isinstance(place, LockerBank) else 'shop'}:{place.pk}"


def check_in_code(pickup_ref: str, tracking_number: str) -> str:
    """The label QR text of a parcel for the pickup point `pickup_ref` ("locker:12")."""
    return f"{CHECK_IN_PREFIX}:{pickup_ref}:{tracking_number}"


def scanned_tracking_number(place: Place, scanned: str) -> str:
    """The tracking number in what was scanned or typed: the label's barcode gives it as is,
    its QR as a check-in code, which must name this place."""
    text = " ".join(scanned.split())
    prefix, _, rest = text.partition(":")
    if prefix.upper() != CHECK_IN_PREFIX:
        return text
    kind, _, rest = rest.partition(":")
    pk, _, number = rest.partition(":")
    if not number:
        raise ValidationError({"tracking_number": "That QR code is not a Nearbox parcel label."})
    if f"{kind}:{pk}" != place.pickup_ref:
        raise ValidationError(
            {"tracking_number": f"Parcel {number} is not addressed to {place.name}."}
        )
    return number


def find_order(place: Place, tracking_number: str) -> Order:
    """The merchant's order a label's tracking number belongs to (a shipment's tracking number,
    or the order reference for parcels without a courier label)."""
    number = " ".join(tracking_number.split())
    if not number:
        raise ValidationError({"tracking_number": "Scan or type the tracking number."})
    shipment = (
        Shipment.objects.for_merchant(place.merchant)
        .filter(tracking_number__iexact=number)
        .select_related("order")
        .first()
    )
    if shipment is not None and shipment.is_return:
        raise ValidationError(
            {"tracking_number": f"Parcel {number} is a return on its way back to the merchant."}
        )
    if shipment is not None:
        return shipment.order
    order = Order.objects.for_merchant(place.merchant).filter(reference__iexact=number).first()
    if order is None:
        raise ValidationError({"tracking_number": f"No parcel with tracking number {number}."})
    return order


def refuse_unless_addressed_here(*, place: Place, order: Order, number: str) -> None:
    """A parcel is received only at the place its order names: a home-delivery parcel or one
    for another pickup point must not take a compartment or send the shopper a code."""
    ref = order.pickup_location_ref
    if not ref:
        raise ValidationError(
            {
                "tracking_number": f"Parcel {number} is for home delivery, not for pickup here: "
                "give it back to the courier."
            }
        )
    if ref != place.pickup_ref:
        raise ValidationError(
            {"tracking_number": f"Parcel {number} is not addressed to {place.name}."}
        )


def _order_parcel(order: Order) -> Parcel:
    return parcel_of(order.lines.select_related("product"))


def parcel_of(lines: Iterable[Any]) -> Parcel:
    """The parcel an order's lines make (their products stacked flat): what check-in and the
    redirect options measure a compartment against."""
    longest = middle = height = weight = 0
    for line in lines:
        p = line.product
        a, b, c = sorted((p.length_mm, p.width_mm, p.height_mm), reverse=True)
        longest, middle = max(longest, a), max(middle, b)
        height += c * line.quantity
        weight += p.weight_g * line.quantity
    return Parcel(max(weight, 1), max(longest, 1), max(middle, 1), max(height, 1))


def record_arrival(*, place: Place, tracking_number: str) -> Arrival:
    """A parcel reached a shop counter or a locker: put it in its compartment (the one its
    reservation holds, or the smallest free one that fits), issue its pickup code and tell the
    shopper. Scanning the same parcel again changes nothing."""
    number = scanned_tracking_number(place, tracking_number)
    order = find_order(place, number)
    refuse_unless_addressed_here(place=place, order=order, number=number)
    existing = (
        PickupParcel.objects.for_merchant(place.merchant)
        .filter(order=order, status=PickupParcel.Status.READY)
        .first()
    )
    if existing is not None:
        if (existing.bank_id or existing.shop_id) and existing.place != place:
            raise ValidationError(
                {"tracking_number": f"Parcel {number} is waiting at {existing.place}."}
            )
        return Arrival(parcel=existing, pin="", qr_payload="", created=False)
    pin = f"{secrets.randbelow(10**6):06d}"
    token = secrets.token_urlsafe(16)
    now = timezone.now()
    with transaction.atomic():
        fields: dict = {}
        if isinstance(place, LockerBank):
            reservation = (
                Reservation.objects.select_for_update()
                .filter(order=order, bank=place, status=Reservation.Status.CONFIRMED)
                .first()
            )
            if reservation is None:
                try:
                    reservation = reserve_compartment(bank=place, parcel=_order_parcel(order))
                except NoCompartmentFree as exc:
                    raise ValidationError({"tracking_number": exc.message}) from exc
                Reservation.objects.filter(pk=reservation.pk).update(
                    status=Reservation.Status.CONFIRMED, order=order, confirmed_at=now
                )
            Compartment.objects.filter(pk=reservation.compartment_id).update(
                state=Compartment.State.OCCUPIED, updated_at=now
            )
            fields = {
                "bank": place,
                "compartment_id": reservation.compartment_id,
                "reservation": reservation,
            }
        else:
            shop = PickupShop.objects.select_for_update().get(pk=place.pk)
            waiting = PickupParcel.objects.filter(shop=shop, status=PickupParcel.Status.READY)
            if waiting.count() >= shop.holding_capacity:
                raise ValidationError(
                    {
                        "tracking_number": f"{shop.name} already holds {shop.holding_capacity} "
                        "parcels, its capacity."
                    }
                )
            fields = {"shop": shop}
        parcel = PickupParcel.objects.create(
            merchant_id=place.merchant_id,
            order=order,
            tracking_number=number,
            token=token,
            code_hash=code_hash(token, pin),
            arrived_at=now,
            collect_by=now + timedelta(days=settings.NEARBOX_PICKUP_DAYS),
            **fields,
        )
        # The order follows its parcel (forward only): checked in -> ready for pickup.
        order_status.follow_parcel(
            order_id=order.pk,
            to_status=Order.Status.AT_PICKUP,
            note=f"Checked in at {place.name}: ready for pickup",
        )
        qr_payload = f"{QR_PREFIX}:{token}:{pin}"
        transaction.on_commit(
            lambda: pickup_code_issued.send(
                sender=PickupParcel, parcel=parcel, pin=pin, qr_payload=qr_payload
            )
        )
    return Arrival(parcel=parcel, pin=pin, qr_payload=qr_payload, created=True)


def _matching_parcel(place: Place, code: str) -> PickupParcel | None:
    code = code.strip()
    ready = PickupParcel.objects.filter(_place_filter(place), status=PickupParcel.Status.READY)
    if code.startswith(f"{QR_PREFIX}:"):
        _, token, pin = ([*code.split(":", 2), "", ""])[:3]
        parcel = ready.filter(token=token).first()
        ok = parcel is not None and hmac.compare_digest(parcel.code_hash, code_hash(token, pin))
        return parcel if ok else None
    digits = "".join(code.split())
    if len(digits) != 6 or not digits.isdigit():
        return None
    for parcel in ready.only("pk", "token", "code_hash"):
        if hmac.compare_digest(parcel.code_hash, code_hash(parcel.token, digits)):
            return parcel
    return None


def hand_over(*, place: Place, code: str) -> PickupParcel:
    """Give the parcel matching `code` (PIN or QR payload) to its shopper: the counter hands it
    over, or the terminal opens its compartment. Wrong codes count against the place."""
    limit, window = _limits()
    seen = ratelimit.peek(_scope(place), limit=limit, window_seconds=window)
    if seen.count >= limit:
        raise TooManyWrongCodes(seen.retry_after)
    match = _matching_parcel(place, code)
    if match is None:
        after = ratelimit.hit(_scope(place), limit=limit, window_seconds=window)
        raise WrongCode(max(0, limit - after.count))
    now = timezone.now()
    with transaction.atomic():
        parcel = PickupParcel.objects.select_for_update().get(pk=match.pk)
        if parcel.status != PickupParcel.Status.READY:
            raise WrongCode(limit - seen.count)
        parcel.status = PickupParcel.Status.COLLECTED
        parcel.collected_at = now
        parcel.save(update_fields=["status", "collected_at"])
        _free_compartment(parcel)
        # The order follows its parcel (forward only): handed to the shopper -> delivered.
        order_status.follow_parcel(
            order_id=parcel.order_id,
            to_status=Order.Status.DELIVERED,
            note=f"Collected by the shopper at {place.name}",
        )
        transaction.on_commit(lambda: parcel_collected.send(sender=PickupParcel, parcel=parcel))
    return parcel


def _free_compartment(parcel: PickupParcel) -> None:
    if parcel.reservation_id:
        reservation = Reservation.objects.select_for_update().get(pk=parcel.reservation_id)
        if reservation.status in (Reservation.Status.HELD, Reservation.Status.CONFIRMED):
            release_reservation(reservation=reservation, status=Reservation.Status.COMPLETED)
    if parcel.compartment_id:
        Compartment.objects.filter(
            pk=parcel.compartment_id, state=Compartment.State.OCCUPIED
        ).update(state=Compartment.State.FREE, updated_at=timezone.now())


def expire_uncollected(*, now=None) -> int:
    """Parcels past their collect-by time: free the compartment, flag the parcel to go back and
    ask for its return (signal). Idempotent."""
    now = now or timezone.now()
    expired = 0
    while True:
        with transaction.atomic():
            batch = list(
                PickupParcel.objects.select_for_update(skip_locked=True)
                .filter(status=PickupParcel.Status.READY, collect_by__lte=now)
                .order_by("pk")[:200]
            )
            for parcel in batch:
                parcel.status = PickupParcel.Status.EXPIRED
                parcel.return_requested_at = now
                parcel.return_reason = f"Not collected within {settings.NEARBOX_PICKUP_DAYS} days."
                parcel.save(update_fields=["status", "return_requested_at", "return_reason"])
                _free_compartment(parcel)
                transaction.on_commit(
                    lambda p=parcel: parcel_return_requested.send(sender=PickupParcel, parcel=p)
                )
        expired += len(batch)
        if len(batch) < 200:
            return expired


def send_collection_reminders(*, now=None) -> int:
    """Tell shoppers a day before their parcel goes back. Each parcel is reminded once."""
    from lockers.notifications import send_expiry_reminder

    now = now or timezone.now()
    sent = 0
    due = PickupParcel.objects.filter(
        status=PickupParcel.Status.READY,
        reminder_sent_at__isnull=True,
        collect_by__lte=now + timedelta(days=1),
        collect_by__gt=now,
    ).order_by("pk")
    for parcel_id in due.values_list("pk", flat=True)[:1000]:
        with transaction.atomic():
            # Claim the reminder first: a retried task never sends it twice.
            claimed = PickupParcel.objects.filter(
                pk=parcel_id, reminder_sent_at__isnull=True
            ).update(reminder_sent_at=now)
            if claimed:
                parcel = PickupParcel.objects.select_related("order__merchant", "bank", "shop").get(
                    pk=parcel_id
                )
                transaction.on_commit(lambda p=parcel: send_expiry_reminder(p))
                sent += 1
    return sent
