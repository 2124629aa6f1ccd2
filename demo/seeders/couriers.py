"""The demo merchant's couriers: the sandbox courier and a local bike courier."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from fulfillment.couriers.services.accounts import (
    create_account,
    create_area,
    create_service,
    set_rule,
)
from fulfillment.models import CourierAccount, ShippingSettings
from merchant.models import Merchant

DEMO_SANDBOX = "Sandbox Express"
DEMO_LOCAL = "Lakeshore Bike Couriers"
CHICAGO_LOOP = (41.8837, -87.6289)
DEMO_LOCAL_ZIPS = (
    "60601 60602 60603 60604 60605 60606 60607 60610 60611 60614 60622 60642 60654 60661"
)


def ensure_demo_couriers(*, merchant: Merchant, sandbox_url: str) -> list[CourierAccount]:
    """The demo's couriers: the sandbox (three services, 40 km around the Loop) and a local
    bike courier (same day, central ZIP codes). Idempotent: existing accounts are left as
    they are."""
    accounts = []
    with transaction.atomic():
        sandbox = CourierAccount.objects.for_merchant(merchant).filter(name=DEMO_SANDBOX).first()
        if sandbox is None:
            sandbox = create_account(
                merchant=merchant, courier="sandbox", name=DEMO_SANDBOX,
                credentials="api_key=sandbox-key", base_url=sandbox_url, requests_per_second=10.0,
            )  # fmt: skip
            for level, code, name, hours, cutoff, base, per_km, per_kg in (
                ("same_day", "same-day", "Same day", 8, dt.time(12), 890, 15, 60),
                ("next_day", "next-day", "Next day", 24, dt.time(17), 590, 5, 40),
                ("economy", "economy", "Economy", 72, dt.time(17), 390, 2, 30),
            ):
                create_service(
                    account=sandbox, level=level, code=code, name=name, transit_hours=hours,
                    pickup_cutoff=cutoff, base_minor=base, per_km_minor=per_km,
                    per_kg_minor=per_kg, fuel_pct=Decimal("8.5"), minimum_minor=400,
                    max_weight_g=30000, size_surcharges=[{"over_g": 10000, "surcharge": 500}],
                )  # fmt: skip
            create_area(
                account=sandbox, kind="radius", name="40 km around the Loop",
                center_latitude=CHICAGO_LOOP[0], center_longitude=CHICAGO_LOOP[1], radius_km=40,
            )  # fmt: skip
        accounts.append(sandbox)
        local = CourierAccount.objects.for_merchant(merchant).filter(name=DEMO_LOCAL).first()
        if local is None:
            local = create_account(merchant=merchant, courier="manual", name=DEMO_LOCAL)
            create_service(
                account=local, level="same_day", code="bike-same-day", name="Bike, same day",
                transit_hours=4, pickup_cutoff=dt.time(15), base_minor=650, per_km_minor=40,
                max_weight_g=8000, max_length_mm=600, max_width_mm=400, max_height_mm=400,
            )  # fmt: skip
            create_area(
                account=local, kind="zip", name="Central Chicago", zip_codes=DEMO_LOCAL_ZIPS
            )
        accounts.append(local)
        if not ShippingSettings.objects.for_merchant(merchant).exists():
            set_rule(merchant=merchant, rule="cheapest")
    return accounts
