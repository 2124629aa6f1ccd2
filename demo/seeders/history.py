"""Write the demo shop's past year of demand (Chicago, IL) so demand and placement pages have
something real to show. The history itself comes from merchant.demand.simulate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from merchant.demand.simulate import simulate_orders
from merchant.models import DemandRecord, Merchant, Product

DEMO_SOURCE = "demo"


def generate_demo_history(
    *,
    merchant: Merchant,
    products: Sequence[Product],
    days: int = 365,
    orders: int = 4000,
    seed: int = 7,
    today: dt.date | None = None,
) -> int:
    """Write about ``orders`` demo orders over the ``days`` before ``today`` (the merchant's
    today by default) and return how many were written: 0 when the merchant already has demo
    history, so seeding again adds nothing."""
    if not products:
        raise ValidationError({"products": "Give at least one product for the demo history."})
    if any(p.merchant_id != merchant.pk for p in products):
        raise ValidationError({"products": "Every product must belong to the merchant."})
    if days < 1 or orders < 1:
        raise ValidationError({"days": "Days and orders must be positive."})
    today = today or timezone.localdate(timezone=ZoneInfo(merchant.time_zone))
    simulated = simulate_orders(
        days=days, orders=orders, seed=seed, today=today, product_count=len(products)
    )
    with transaction.atomic():
        # Lock the merchant row so two seeders at once cannot both write the history.
        Merchant.objects.select_for_update().filter(pk=merchant.pk).first()
        if DemandRecord.objects.for_merchant(merchant).filter(source=DEMO_SOURCE).exists():
            return 0
        records = [
            DemandRecord(
                merchant=merchant,
                ordered_on=order.ordered_on,
                postal_code=order.postal_code,
                latitude=order.latitude,
                longitude=order.longitude,
                product=products[order.product_index],
                units=order.units,
                source=DEMO_SOURCE,
                reference=f"demo:{n}",
            )
            for n, order in enumerate(simulated, start=1)
        ]
        DemandRecord.objects.bulk_create(records, batch_size=2000)
    return len(records)
