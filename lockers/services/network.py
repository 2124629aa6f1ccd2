"""Writes to the pickup network: compartments, states, signed staff links. Every write that
changes where places are (or whether they count) bumps the merchant's network version."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from lockers.models import Compartment, LockerBank, PickupShop
from lockers.selectors.spatial import bump_network_version
from merchant.models import Merchant

# Inner dimensions (mm, length × width × height) of the usual S/M/L compartment sizes.
DEFAULT_DIMS = {"S": (640, 380, 80), "M": (640, 380, 190), "L": (640, 380, 410)}
LINK_SALT = "lockers.staff-link"


def add_compartments(*, bank: LockerBank, counts: dict[str, int], dims: dict | None = None) -> int:
    """Give `bank` at least counts[size] compartments of each size; returns how many were made."""
    dims = {**DEFAULT_DIMS, **(dims or {})}
    existing = list(bank.compartments.values_list("size", "label"))
    have = {size: sum(1 for s, _ in existing if s == size) for size in DEFAULT_DIMS}
    labels = {label for _, label in existing}
    new = []
    for size in ("S", "M", "L"):
        n = have[size]
        while have[size] < counts.get(size, 0):
            n += 1
            label = f"{size}{n:02d}"
            if label in labels:
                continue
            length, width, height = dims[size]
            new.append(
                Compartment(
                    merchant_id=bank.merchant_id,
                    bank=bank,
                    label=label,
                    size=size,
                    inner_length_mm=length,
                    inner_width_mm=width,
                    inner_height_mm=height,
                )
            )
            have[size] += 1
    Compartment.objects.bulk_create(new, batch_size=1000)
    return len(new)


def set_compartment_out_of_order(*, compartment: Compartment, out_of_order: bool) -> Compartment:
    """Take a free compartment out of service, or put an out-of-order one back."""
    with transaction.atomic():
        locked = Compartment.objects.select_for_update().get(pk=compartment.pk)
        wanted, allowed_from = (
            (Compartment.State.OUT_OF_ORDER, Compartment.State.FREE)
            if out_of_order
            else (Compartment.State.FREE, Compartment.State.OUT_OF_ORDER)
        )
        if locked.state == wanted:
            return locked
        if locked.state != allowed_from:
            raise ValidationError(
                {
                    "state": f"Compartment {locked.label} is {locked.get_state_display().lower()}; "
                    "only a free compartment can be taken out of service."
                }
            )
        locked.state = wanted
        locked.save(update_fields=["state", "updated_at"])
    return locked


def set_place_active(*, place: LockerBank | PickupShop, active: bool) -> LockerBank | PickupShop:
    with transaction.atomic():
        type(place).objects.filter(pk=place.pk).update(is_active=active)
        bump_network_version(place.merchant_id)
    place.refresh_from_db()
    return place


# --- signed links for shop staff and locker terminals ---------------------------------------


def staff_link_token(place: LockerBank | PickupShop) -> str:
    kind = "bank" if isinstance(place, LockerBank) else "shop"
    return signing.dumps(
        {"k": kind, "id": place.pk, "m": place.merchant_id, "v": place.link_version},
        salt=LINK_SALT,
        compress=True,
    )


def place_for_link(token: str, *, kind: str) -> LockerBank | PickupShop | None:
    """The active place a staff link names, or None when it is forged, of another kind, or
    revoked (its place's link_version moved on)."""
    try:
        data = signing.loads(
            token, salt=LINK_SALT, max_age=getattr(settings, "NEARBOX_STAFF_LINK_MAX_AGE", None)
        )
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("k") != kind:
        return None
    model = LockerBank if kind == "bank" else PickupShop
    return (
        model.objects.select_related("merchant")
        .filter(pk=data.get("id"), merchant_id=data.get("m"), link_version=data.get("v"))
        .first()
    )


def rotate_staff_link(*, place: LockerBank | PickupShop) -> LockerBank | PickupShop:
    """Revoke every link handed out for this place; the next one shown is new."""
    with transaction.atomic():
        type(place).objects.filter(pk=place.pk).update(link_version=F("link_version") + 1)
    place.refresh_from_db()
    return place


def merchant_place_counts(merchant: Merchant) -> dict[str, int]:
    return {
        "lockers": LockerBank.objects.for_merchant(merchant).count(),
        "shops": PickupShop.objects.for_merchant(merchant).count(),
    }
