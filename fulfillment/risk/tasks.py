"""Training the address risk models: nightly for every merchant with recent orders (config/beat.py)
and on demand from the settings page. Idempotent: a second run stores a fresh, identical model."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

RECENT = dt.timedelta(days=400)


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
    name="fulfillment.tasks.train_address_risk",
)
def train_address_risk(merchant_id: int) -> int | None:
    from fulfillment.risk.services import train_risk_model
    from merchant.models import Merchant

    merchant = Merchant.objects.filter(pk=merchant_id).first()
    if merchant is None:
        return None
    return train_risk_model(merchant=merchant).pk


@shared_task(acks_late=True, ignore_result=True, name="fulfillment.tasks.train_address_risk_models")
def train_address_risk_models() -> int:
    """Fan out: one training task per merchant with an order in the last 400 days."""
    from django.db.models import Exists, OuterRef

    from fulfillment.models import Order
    from merchant.models import Merchant

    since = timezone.now() - RECENT
    # One probe per merchant down the (merchant, -created_at) index, not a scan of every order.
    recent = Order.objects.filter(merchant=OuterRef("pk"), created_at__gte=since)
    merchant_ids = list(
        Merchant.objects.filter(Exists(recent)).order_by("pk").values_list("pk", flat=True)
    )
    for merchant_id in merchant_ids:
        train_address_risk.delay(merchant_id)
    return len(merchant_ids)
