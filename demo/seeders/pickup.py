"""Demo pickup network: lockers and shops across Chicago ZIP codes (idempotent)."""

from __future__ import annotations

import random

import zipcodes
from django.db import transaction

from lockers.models import LockerBank, PickupShop
from lockers.selectors.spatial import bump_network_version
from lockers.services.network import add_compartments
from merchant.models import Merchant

LOCKERS_PER_ZIP = 5
SHOPS_PER_ZIP = 2
JITTER_DEG = 0.008  # about 900 m
COMPARTMENTS = {"S": 12, "M": 8, "L": 4}
SHOP_HOURS = {d: [["09:00", "19:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
NETWORKS = ["own", "Parcelbox", "CityLock"]


def chicago_zips() -> list[dict]:
    return sorted(
        (
            z
            for z in zipcodes.filter_by(city="Chicago", state="IL")
            if z.get("zip_code_type") == "STANDARD" and z.get("lat")
        ),
        key=lambda z: z["zip_code"],
    )


def seed_pickup_network(*, merchant: Merchant, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    made = {"lockers": 0, "shops": 0, "compartments": 0}
    with transaction.atomic():
        banks = set(LockerBank.objects.for_merchant(merchant).values_list("ref", flat=True))
        shops = set(PickupShop.objects.for_merchant(merchant).values_list("ref", flat=True))
        for z in chicago_zips():
            code, lat, lon = z["zip_code"], float(z["lat"]), float(z["long"])
            for n in range(1, LOCKERS_PER_ZIP + 1):
                jlat, jlon = rng.uniform(-1, 1) * JITTER_DEG, rng.uniform(-1, 1) * JITTER_DEG
                ref = f"demo-locker-{code}-{n}"
                if ref in banks:
                    continue
                network = NETWORKS[n % len(NETWORKS)]
                bank = LockerBank.objects.create(
                    merchant=merchant,
                    ref=ref,
                    name=f"{network.title()} locker {code}-{n}",
                    network=network,
                    operator="" if network == "own" else network,
                    address_line=f"{100 * n} Demo Ave",
                    city="Chicago",
                    state="IL",
                    postal_code=code,
                    latitude=lat + jlat,
                    longitude=lon + jlon,
                    is_24_7=True,
                )
                made["lockers"] += 1
                made["compartments"] += add_compartments(bank=bank, counts=COMPARTMENTS)
            for n in range(1, SHOPS_PER_ZIP + 1):
                jlat, jlon = rng.uniform(-1, 1) * JITTER_DEG, rng.uniform(-1, 1) * JITTER_DEG
                ref = f"demo-shop-{code}-{n}"
                if ref in shops:
                    continue
                PickupShop.objects.create(
                    merchant=merchant,
                    ref=ref,
                    name=f"Corner shop {code}-{n}",
                    network="partner shops",
                    address_line=f"{200 * n} Main St",
                    city="Chicago",
                    state="IL",
                    postal_code=code,
                    latitude=lat + jlat,
                    longitude=lon + jlon,
                    opening_hours=SHOP_HOURS,
                    holding_capacity=30,
                    staff_name="Counter staff",
                )
                made["shops"] += 1
        bump_network_version(merchant.pk)
    return made
