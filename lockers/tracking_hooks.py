"""What lockers tells tracking (fulfillment/tracking/hooks.py) without tracking importing it:
where a pickup order's parcel waits, which parcels are about to expire uncollected, the
check-in code a pickup order's label carries as its QR. (The order follows its parcel at the
place through lockers/services/pickup.py, which calls the order state machine itself.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from fulfillment.tracking.hooks import ExpiringPickup, LabelQr, PickupPoint
from lockers.models import PickupParcel
from lockers.selectors.network import location_for_ref
from lockers.selectors.reservations import place_kind_and_url
from lockers.services.pickup import check_in_code
from merchant.hours import week_text
from merchant.models import Merchant

# A parcel within this long of its collection deadline shows in the exceptions queue.
EXPIRING_WITHIN = dt.timedelta(hours=48)


def pickup_point(order: Any) -> PickupPoint | None:
    """Where a pickup order's parcel goes and waits: its locker bank or shop."""
    if order is None or not order.pickup_location_ref:
        return None
    place = location_for_ref(order.merchant_id, order.pickup_location_ref)
    if place is None:
        return None
    always = bool(getattr(place, "is_24_7", False))
    return PickupPoint(
        name=place.name,
        address=place.address,
        latitude=place.latitude,
        longitude=place.longitude,
        opening_hours=week_text(place.opening_hours, always=always),
        street_lines=(place.address_line,) if place.address_line else (),
        city=place.city,
        postal_code=place.postal_code,
        state=place.state,
        country=place.country,
        kind=place_kind_and_url(place)[0],
    )


def label_qr(shipment: Any) -> LabelQr | None:
    """A pickup order's label QR: the check-in code its locker terminal or counter scans. Read
    from the order's `pickup_location_ref` alone: batch printing asks it for every label."""
    order = getattr(shipment, "order", None)
    ref = order.pickup_location_ref if order is not None else ""
    kind, _, pk = (ref or "").partition(":")
    if kind not in ("locker", "shop") or not pk.isdigit() or not shipment.tracking_number:
        return None
    return LabelQr(
        payload=check_in_code(ref, shipment.tracking_number),
        caption="Scan at the locker" if kind == "locker" else "Scan at the counter",
    )


def expiring_pickups(merchant: Merchant) -> list[ExpiringPickup]:
    now = timezone.now()
    parcels = (
        PickupParcel.objects.for_merchant(merchant)
        .filter(status=PickupParcel.Status.READY, collect_by__lte=now + EXPIRING_WITHIN)
        .select_related("order", "bank", "shop")
        .order_by("collect_by")[:100]
    )
    found = []
    for parcel in parcels:
        place = parcel.bank or parcel.shop
        _, url = place_kind_and_url(place)
        found.append(
            ExpiringPickup(
                shipment_id=None,
                label=f"Order {parcel.order.reference or parcel.order_id} at {place.name}",
                expires_at=parcel.collect_by,
                url=url,
            )
        )
    return found


def register() -> None:
    from fulfillment.tracking import hooks

    for hook_list, provider in (
        (hooks.PICKUP_POINT_PROVIDERS, pickup_point),
        (hooks.EXPIRING_PICKUP_PROVIDERS, expiring_pickups),
        (hooks.LABEL_QR_PROVIDERS, label_qr),
    ):
        if provider not in hook_list:
            hook_list.append(provider)
    # Redirects to a locker or shop (#20): the exceptions queue, the tracking page, the driver.
    from lockers.services.redirects import REDIRECTOR

    if REDIRECTOR not in hooks.REDIRECT_PROVIDERS:
        hooks.REDIRECT_PROVIDERS.append(REDIRECTOR)
