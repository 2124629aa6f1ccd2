"""Small factories for pickup-network tests."""

from __future__ import annotations

import itertools

from django.utils import timezone

from lockers.models import LockerBank, PickupShop
from lockers.services.network import add_compartments
from merchant.models import Merchant
from tests.factories.orders import make_order

_seq = itertools.count(1)
LOOP = (41.8858, -87.6181)  # ZIP 60601
LINCOLN_PARK = (41.9229, -87.6483)  # ZIP 60614


def make_bank(
    merchant: Merchant,
    *,
    at: tuple[float, float] = LOOP,
    compartments: dict[str, int] | None = None,
    **fields,
) -> LockerBank:
    n = next(_seq)
    values = dict(
        ref=f"L-{n}",
        name=f"Locker {n}",
        address_line=f"{n} Test St",
        city="Chicago",
        state="IL",
        postal_code="60601",
        latitude=at[0],
        longitude=at[1],
    )
    values.update(fields)
    bank = LockerBank.objects.create(merchant=merchant, **values)
    add_compartments(
        bank=bank, counts={"S": 2, "M": 1, "L": 1} if compartments is None else compartments
    )
    return bank


def make_shop(merchant: Merchant, *, at: tuple[float, float] = LOOP, **fields) -> PickupShop:
    n = next(_seq)
    values = dict(
        ref=f"S-{n}",
        name=f"Shop {n}",
        address_line=f"{n} Shop St",
        city="Chicago",
        state="IL",
        postal_code="60601",
        latitude=at[0],
        longitude=at[1],
        holding_capacity=10,
    )
    values.update(fields)
    return PickupShop.objects.create(merchant=merchant, **values)


def order_for(merchant, place):
    """An order of the merchant going to this locker bank or pickup shop."""
    order = make_order(merchant, reference=f"REF-{place.pk}-{timezone.now().timestamp()}")
    order.pickup_location_ref = place.pickup_ref
    order.delivery_kind = "locker" if place.pickup_ref.startswith("locker") else "pickup_shop"
    order.save(update_fields=["pickup_location_ref", "delivery_kind"])
    return order
