"""Small factories for pickup-network tests."""

from __future__ import annotations

import itertools

from lockers.models import LockerBank, PickupShop
from lockers.services.network import add_compartments
from merchant.models import Merchant

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
