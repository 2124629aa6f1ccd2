"""Send a parcel to a locker or pickup shop instead of where its order went (#20 item 4): from
the exceptions queue (staff), the tracking page (the shopper) or a failed own-fleet stop (the
driver). Registered as tracking's Redirector (fulfillment/tracking/hooks.py).

One redirect per shipment, made under the shipment's row lock: a double click waits for the
first and gets its record back, so there is one compartment held and one message sent. A
locker's compartment is held through reserve_compartment (skip-locked, the partial unique
constraint as the last guard) and confirmed for the order at once; a shop's slot is counted
under the shop's row lock against its holding capacity, as check-in does.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.utils import timezone

from fulfillment.couriers.adapters.types import TrackingStatus
from fulfillment.messaging.services.order_messages import parcel_context, send_order_message
from fulfillment.models import Order, OrderLine, Shipment
from fulfillment.models.redirects import ParcelRedirect, RequestedBy
from fulfillment.tracking.actions import ask_courier
from fulfillment.tracking.hooks import RedirectPlace
from fulfillment.tracking.signals import announce_touched
from lockers.models import LockerBank, PickupParcel, PickupShop, Reservation
from lockers.parcels import Parcel
from lockers.selectors.network import location_for_ref
from lockers.services.options import free_sizes, nearest_lockers, nearest_shops, shop_loads
from lockers.services.pickup import _order_parcel, parcel_of
from lockers.services.reservations import (
    NoCompartmentFree,
    release_reservation,
    reserve_compartment,
)
from merchant.hours import week_text

# Statuses a parcel can still change course in: booked, moving, out or back after a failed
# attempt, or held up. Delivered, returned, expired or already at a pickup point cannot.
REDIRECTABLE = frozenset(
    {
        TrackingStatus.PENDING,
        TrackingStatus.INFO_RECEIVED,
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.FAILED_ATTEMPT,
        TrackingStatus.EXCEPTION,
    }
)
# Orders whose parcel has reached its place (or its end): no other place for them.
ORDER_ARRIVED = frozenset(
    {
        Order.Status.AT_PICKUP,
        Order.Status.DELIVERED,
        Order.Status.CANCELLED,
        Order.Status.RETURNED,
    }
)
PLACE_REF = re.compile(r"(locker|shop):[0-9]{1,18}")
# Orders that still count against a shop's room until their parcel is checked in there.
ON_THE_WAY = (
    Order.Status.RECEIVED,
    Order.Status.ALLOCATED,
    Order.Status.PICKED,
    Order.Status.PACKED,
    Order.Status.HANDED_OVER,
)


def _refuse(message: str, code: str) -> ValidationError:
    """A refusal on the `place` field that keeps its code (a plain dict would drop it)."""
    return ValidationError({"place": ValidationError(message, code=code)})


def refusal_codes(error: ValidationError) -> set[str]:
    errors = getattr(error, "error_dict", {}).get("place", [])
    return {e.code for e in errors if e.code}


def hold_days() -> int:
    return int(settings.NEARBOX_PICKUP_DAYS)


def why_not_redirectable(shipment: Shipment) -> str:
    """Why this parcel cannot go to a pickup place now ("" when it can)."""
    if shipment.is_return:
        return "A return parcel goes back to the shop; it cannot be redirected."
    if shipment.cancelled_at is not None:
        return "This shipment was cancelled."
    if shipment.status == TrackingStatus.DELIVERED:
        return "This parcel was delivered already."
    if shipment.status not in REDIRECTABLE:
        return f"A parcel that is {shipment.get_status_display().lower()} cannot be redirected."
    return ""


def _place_dict(place: LockerBank | PickupShop) -> dict[str, str]:
    """The address the courier delivers to, in the adapter's redirect shape."""
    return {
        "name": place.name,
        "street": place.address_line,
        "city": place.city,
        "state": place.state,
        "postal_code": place.postal_code,
        "country": place.country,
    }


def options(
    shipment: Shipment, *, limit: int = 3, lockers_only: bool = False
) -> list[RedirectPlace]:
    """The nearest lockers with a free compartment that fits the parcel and shops with room,
    nearest first (the checkout's spatial lookups: lockers/services/options.py)."""
    return options_for_page([shipment], limit=limit, lockers_only=lockers_only).get(shipment.pk, [])


def _parcels(orders: list[Order]) -> dict[int, Parcel]:
    """Each order's parcel, measured as check-in measures it (pickup.parcel_of), from one
    query for all the orders' lines."""
    lines: dict[int, list[OrderLine]] = {o.pk: [] for o in orders}
    for line in OrderLine.objects.filter(order_id__in=lines).select_related("product"):
        lines[line.order_id].append(line)
    return {order_id: parcel_of(order_lines) for order_id, order_lines in lines.items()}


def options_for_page(
    shipments: list[Shipment], *, limit: int = 3, lockers_only: bool = False
) -> dict[int, list[RedirectPlace]]:
    """options() for a page of one merchant's shipments: {shipment id: places}. One query for
    the parcels, one free-compartment query per distinct parcel size, one each for the shops'
    loads and the orders on their way to them, whatever the page's length."""
    rows = [
        s
        for s in shipments
        if s.order.latitude is not None
        and s.order.longitude is not None
        and not why_not_redirectable(s)
        and s.order.status not in ORDER_ARRIVED  # no buttons that redirect() would refuse
    ]
    if not rows:
        return {}
    merchant = rows[0].order.merchant
    max_m = settings.NEARBOX_PICKUP_MAX_DISTANCE_M
    parcels = _parcels([s.order for s in rows])
    here = {s.pk: (s.order.latitude, s.order.longitude) for s in rows}
    near_lockers = {
        s.pk: nearest_lockers(merchant.pk, *here[s.pk], k=max(4 * limit, 8), max_m=max_m)
        for s in rows
    }
    by_parcel: dict[Parcel, set[int]] = {}
    for s in rows:
        by_parcel.setdefault(parcels[s.order_id], set()).update(
            row[0] for row, _ in near_lockers[s.pk]
        )
    sizes = {parcel: free_sizes(merchant, sorted(ids), parcel) for parcel, ids in by_parcel.items()}
    near_shops, loads, coming = {}, {}, {}
    if not lockers_only:
        near_shops = {
            s.pk: nearest_shops(merchant.pk, *here[s.pk], k=3 * limit, max_m=max_m) for s in rows
        }
        shop_ids = sorted({row[0] for found in near_shops.values() for row, _ in found})
        loads = shop_loads(merchant, shop_ids)
        coming = _coming(merchant.pk, [f"shop:{pk}" for pk in shop_ids])
    answer: dict[int, list[RedirectPlace]] = {}
    for s in rows:
        current = s.order.pickup_location_ref
        fits = sizes[parcels[s.order_id]]
        found = [
            _option(row, metres, "locker", always=bool(row[9]), size=fits[row[0]])
            for row, metres in near_lockers[s.pk]
            if row[0] in fits and f"locker:{row[0]}" != current
        ]
        for row, metres in near_shops.get(s.pk, []):
            ref = f"shop:{row[0]}"
            if loads.get(row[0], 0) + coming.get(ref, 0) < row[9] and ref != current:
                found.append(_option(row, metres, "shop", always=False, size=""))
        found.sort(key=lambda p: p.distance_m)
        answer[s.pk] = found[:limit]
    return answer


def _coming(merchant_id: int, refs: list[str]) -> dict[str, int]:
    """{shop ref: orders on their way there}: they count against its room like waiting ones."""
    rows = (
        Order.objects.filter(
            merchant_id=merchant_id, pickup_location_ref__in=refs, status__in=ON_THE_WAY
        )
        .values_list("pickup_location_ref")
        .annotate(n=Count("pk"))
    )
    return dict(rows)


def _option(row: tuple, metres: float, kind: str, *, always: bool, size: str) -> RedirectPlace:
    pk, name, line, city, state, postal, _lat, _lon, hours = row[:9]
    address = ", ".join(p for p in (line, city, " ".join(filter(None, (state, postal)))) if p)
    return RedirectPlace(
        ref=f"{kind}:{pk}",
        kind="parcel locker" if kind == "locker" else "pickup shop",
        name=name,
        address=address,
        distance_m=round(metres),
        opening_hours=week_text(hours, always=always),
        hold_days=hold_days(),
        compartment_size=size,
    )


def _hold_locker(bank: LockerBank, order: Order, now) -> Reservation:
    if not bank.is_active:
        raise _refuse(f"{bank.name} is not in service.", "not_in_service")
    try:
        reservation = reserve_compartment(bank=bank, parcel=_order_parcel(order))
    except NoCompartmentFree as exc:
        raise _refuse(exc.message, exc.code) from exc
    Reservation.objects.filter(pk=reservation.pk).update(
        status=Reservation.Status.CONFIRMED, order=order, confirmed_at=now
    )
    return reservation


def _take_shop_slot(shop: PickupShop) -> None:
    if not shop.is_active:
        raise _refuse(f"{shop.name} is not in service.", "not_in_service")
    locked = PickupShop.objects.select_for_update().get(pk=shop.pk)
    waiting = PickupParcel.objects.filter(shop=locked, status=PickupParcel.Status.READY).count()
    coming = Order.objects.filter(
        merchant_id=locked.merchant_id, pickup_location_ref=locked.pickup_ref, status__in=ON_THE_WAY
    ).count()
    if waiting + coming >= locked.holding_capacity:
        raise _refuse(
            f"{locked.name} has no room: it holds {locked.holding_capacity} parcels.", "shop_full"
        )


def _tell_courier(shipment: Shipment, place: LockerBank | PickupShop) -> tuple[str, str]:
    return ask_courier(
        shipment,
        lambda adapter: adapter.redirect(shipment.tracking_number, _place_dict(place)),
        own_fleet=f"Our driver takes it to {place.name}; its label now prints that address.",
        unbooked="Not booked yet: the booking carries the new address.",
        not_supported=f"deliver {shipment.tracking_number} to {place.name}, {place.address}.",
        refused="refused the redirect",
    )


def redirect(
    *,
    shipment: Shipment,
    place_ref: str,
    requested_by: str,
    user: Any = None,
    now=None,
) -> tuple[ParcelRedirect, bool]:
    """Send the parcel to `place_ref` ("locker:12", "shop:3") of its merchant: hold a
    compartment or a shop slot, point the order there (its old address kept on the record),
    tell the courier where it can be told, and message the shopper once after commit.
    Returns (record, created); the same place asked again returns the first record."""
    if requested_by not in RequestedBy.values:
        raise ValueError(f"unknown requester {requested_by!r}")
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses (a 500).
    well_formed = PLACE_REF.fullmatch(place_ref or "")
    place = location_for_ref(shipment.merchant_id, place_ref) if well_formed else None
    if place is None:
        raise Http404("No such locker or pickup shop.")
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Shipment.objects.select_for_update(of=("self",))
            .select_related("account")
            .get(pk=shipment.pk)
        )
        existing = ParcelRedirect.objects.filter(shipment=locked).first()
        if existing is not None:
            if existing.to_pickup_ref == place.pickup_ref:
                return existing, False
            raise _refuse(
                f"This parcel is already going to {existing.to_name}.", "already_redirected"
            )
        problem = why_not_redirectable(locked)
        if problem:
            raise _refuse(problem, "not_redirectable")
        order = Order.objects.select_for_update().get(pk=locked.order_id)
        # The courier's status can lag the place's own check-in: a parcel already in a
        # compartment or on a shop's shelf stays there (its hold is not released under it).
        if order.status in ORDER_ARRIVED or PickupParcel.objects.filter(order=order).exists():
            raise _refuse(
                "This parcel is already at its pickup point: it cannot be redirected.",
                "not_redirectable",
            )
        reservation = None
        if isinstance(place, LockerBank):
            reservation = _hold_locker(place, order, now)
        else:
            _take_shop_slot(place)
        # A compartment held for the order's old locker is freed for someone else.
        for old in (
            Reservation.objects.select_for_update()
            .filter(order=order, status__in=(Reservation.Status.HELD, Reservation.Status.CONFIRMED))
            .exclude(pk=getattr(reservation, "pk", None))
        ):
            release_reservation(reservation=old, status=Reservation.Status.RELEASED)
        told, note = _tell_courier(locked, place)
        record = ParcelRedirect.objects.create(
            merchant_id=locked.merchant_id,
            shipment=locked,
            order=order,
            requested_by=requested_by,
            requested_by_user=user if getattr(user, "is_authenticated", False) else None,
            created_at=now,
            from_delivery_kind=order.delivery_kind,
            from_pickup_ref=order.pickup_location_ref,
            from_address={
                f: getattr(order, f)
                for f in ("line1", "line2", "city", "state", "postal_code", "country")
            },
            to_delivery_kind=(
                Order.DeliveryKind.LOCKER
                if isinstance(place, LockerBank)
                else Order.DeliveryKind.PICKUP_SHOP
            ),
            to_pickup_ref=place.pickup_ref,
            to_name=place.name[:200],
            to_address=place.address[:400],
            reservation_id=getattr(reservation, "pk", None),
            courier_told=told,
            courier_note=note[:300],
        )
        order.delivery_kind = record.to_delivery_kind
        order.pickup_location_ref = place.pickup_ref
        order.save(update_fields=["delivery_kind", "pickup_location_ref", "updated_at"])
        locked.exception_handled_at = now
        locked.is_stuck = False
        locked.save(update_fields=["exception_handled_at", "is_stuck"])
        announce_touched(locked)
        transaction.on_commit(lambda: notify_shopper(record.pk))
    return record, True


def redirect_to_nearest_locker(
    *, shipment: Shipment, requested_by: str, user: Any = None
) -> ParcelRedirect:
    """The nearest locker that fits, for a driver's "to a locker": tries the next one when a
    compartment went in the meantime; ValidationError when none fits."""
    for place in options(shipment, limit=3, lockers_only=True):
        try:
            return redirect(
                shipment=shipment, place_ref=place.ref, requested_by=requested_by, user=user
            )[0]
        except ValidationError as error:
            if NoCompartmentFree.code not in refusal_codes(error):
                raise
    problem = why_not_redirectable(shipment)
    if problem:
        raise ValidationError({"next_step": problem})
    km = settings.NEARBOX_PICKUP_MAX_DISTANCE_M / 1000
    raise ValidationError(
        {"next_step": f"No locker within {km:g} km has a free compartment that fits this parcel."}
    )


def notify_shopper(redirect_id: int) -> bool:
    """The shopper's one message about the redirect (the merchant's editable "redirected"
    message: the place, its hours, the hold days, the code to come), claimed on the record
    first so a retry or a second caller never sends it twice. True when this call sent it."""
    if not ParcelRedirect.objects.filter(pk=redirect_id, notified_at__isnull=True).update(
        notified_at=timezone.now()
    ):
        return False
    record = ParcelRedirect.objects.select_related(
        "order__merchant", "shipment__account", "shipment__order"
    ).get(pk=redirect_id)
    place = location_for_ref(record.merchant_id, record.to_pickup_ref)
    hours = (
        week_text(place.opening_hours, always=bool(getattr(place, "is_24_7", False)))
        if place is not None
        else ""
    )
    context = parcel_context(
        record.shipment,
        event="redirected",
        pickup_point=SimpleNamespace(name=record.to_name, address=record.to_address),
        opening_hours=hours,
        hold_days=hold_days(),
    )
    # The redirect stands whatever the mail server says: a failure is logged as a failed
    # message, and staff see the parcel on the exceptions queue.
    send_order_message(
        order_id=record.order_id, event="redirected", context=context, once_per_order=False
    )
    return True


class PickupRedirector:
    """What tracking's REDIRECT_PROVIDERS holds (fulfillment/tracking/hooks.py)."""

    def options(self, shipment: Shipment, *, limit: int = 3) -> list[RedirectPlace]:
        return options(shipment, limit=limit)

    def options_for_page(
        self, shipments: list[Shipment], *, limit: int = 3
    ) -> dict[int, list[RedirectPlace]]:
        return options_for_page(shipments, limit=limit)

    def redirect(
        self, *, shipment: Shipment, place_ref: str, requested_by: str, user: Any = None
    ) -> tuple[ParcelRedirect, bool]:
        return redirect(
            shipment=shipment, place_ref=place_ref, requested_by=requested_by, user=user
        )

    def redirect_to_nearest_locker(
        self, *, shipment: Shipment, requested_by: str
    ) -> ParcelRedirect:
        return redirect_to_nearest_locker(shipment=shipment, requested_by=requested_by)


REDIRECTOR = PickupRedirector()
