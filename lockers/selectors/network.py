"""Reads of the pickup network, always through the merchant."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from lockers.models import Compartment, LockerBank, PickupParcel, PickupShop, Reservation
from merchant.models import Merchant
from merchant.models.scoping import get_for_merchant_or_404


def get_bank_for_merchant(merchant: Merchant, bank_id: object) -> LockerBank:
    return get_for_merchant_or_404(LockerBank, merchant, bank_id)


def get_shop_for_merchant(merchant: Merchant, shop_id: object) -> PickupShop:
    return get_for_merchant_or_404(PickupShop, merchant, shop_id)


def get_compartment_for_merchant(merchant: Merchant, compartment_id: object) -> Compartment:
    return get_for_merchant_or_404(Compartment, merchant, compartment_id)


def get_reservation_for_merchant(merchant: Merchant, reservation_id: object) -> Reservation:
    return get_for_merchant_or_404(Reservation, merchant, reservation_id)


def location_for_ref(merchant_id: int, ref: str) -> LockerBank | PickupShop | None:
    """The locker bank or shop an order's `pickup_location_ref` ("locker:12", "shop:3") names,
    of that merchant only."""
    kind, _, pk = (ref or "").partition(":")
    if not pk.isdigit():
        return None
    model = {"locker": LockerBank, "shop": PickupShop}.get(kind)
    if model is None:
        return None
    return model.objects.filter(merchant_id=merchant_id, pk=int(pk)).first()


def banks_for_merchant(merchant: Merchant, *, active: bool | None = None) -> QuerySet:
    banks = (
        LockerBank.objects.for_merchant(merchant)
        .annotate(
            compartment_count=Count("compartments"),
            free_count=Count("compartments", filter=Q(compartments__state=Compartment.State.FREE)),
        )
        .order_by("name", "pk")
    )
    return banks if active is None else banks.filter(is_active=active)


def shops_for_merchant(merchant: Merchant, *, active: bool | None = None) -> QuerySet:
    shops = PickupShop.objects.for_merchant(merchant)
    return shops if active is None else shops.filter(is_active=active)


def compartment_summary(bank: LockerBank) -> list[dict]:
    """Per size: how many compartments, and how many in each state."""
    rows = (
        Compartment.objects.filter(bank=bank)
        .order_by()
        .values("size", "state")
        .annotate(n=Count("pk"))
    )
    sizes: dict[str, dict] = {}
    for row in rows:
        entry = sizes.setdefault(row["size"], {"size": row["size"], "total": 0})
        entry[row["state"]] = row["n"]
        entry["total"] += row["n"]
    order = {"S": 0, "M": 1, "L": 2}
    return sorted(sizes.values(), key=lambda e: order.get(e["size"], 9))


def parcels_waiting(place: LockerBank | PickupShop) -> QuerySet:
    field = "bank" if isinstance(place, LockerBank) else "shop"
    return (
        PickupParcel.objects.filter(**{field: place}, status=PickupParcel.Status.READY)
        .select_related("order", "compartment")
        .order_by("collect_by", "pk")
    )


def map_data(merchant: Merchant) -> dict:
    banks = LockerBank.objects.for_merchant(merchant).values_list(
        "pk", "name", "latitude", "longitude", "is_active"
    )
    shops = PickupShop.objects.for_merchant(merchant).values_list(
        "pk", "name", "latitude", "longitude", "is_active"
    )
    return {
        "lockers": [
            {"id": pk, "name": n, "lat": lat, "lon": lon, "active": a}
            for pk, n, lat, lon, a in banks
        ],
        "shops": [
            {"id": pk, "name": n, "lat": lat, "lon": lon, "active": a}
            for pk, n, lat, lon, a in shops
        ],
    }
