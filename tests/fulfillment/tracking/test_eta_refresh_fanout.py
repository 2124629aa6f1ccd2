"""The beat task that refreshes ETA tables fans out one small task per merchant (CONVENTIONS
§5), instead of rebuilding every merchant's table in its own body."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from fulfillment import tasks
from fulfillment.tracking.eta import _cache_key
from tests.factories.couriers import make_shipment

pytestmark = pytest.mark.django_db


def test_refresh_eta_tables_enqueues_one_task_per_merchant_with_deliveries(
    make_merchant, monkeypatch
):
    shops = [make_merchant(f"Shop {n}").merchant for n in range(3)]
    delivered_at = timezone.now() - dt.timedelta(days=1)
    for shop in shops[:2]:
        make_shipment(shop, status="delivered", delivered_at=delivered_at)
        make_shipment(shop, status="delivered", delivered_at=delivered_at)
    make_shipment(shops[2], status="in_transit")  # nothing delivered: no table to build
    enqueued: list[int] = []
    monkeypatch.setattr(tasks.refresh_eta_table, "delay_on_commit", enqueued.append)

    assert tasks.refresh_eta_tables() == 2
    assert sorted(enqueued) == sorted(shop.pk for shop in shops[:2])


def test_refresh_eta_table_rebuilds_that_merchants_table_and_a_rerun_changes_nothing(
    merchant_a,
):
    merchant = merchant_a.merchant
    make_shipment(merchant, status="delivered", delivered_at=timezone.now())
    cache.delete(_cache_key(merchant.pk))

    tasks.refresh_eta_table(merchant.pk)
    first = cache.get(_cache_key(merchant.pk))
    tasks.refresh_eta_table(merchant.pk)

    assert first is not None
    assert cache.get(_cache_key(merchant.pk)) == first
