"""A parcel whose pickup period expired is still polled (daily) until the courier says it is
back with the sender; then polling stops."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fulfillment.couriers.adapters import TrackingStatus as S
from fulfillment.tracking.ingest import ingest_results
from tests.support.tracking import add_shipment, event, result, sandbox_account


@pytest.mark.django_db
def test_expired_pickup_is_polled_daily_until_returned(merchant_a):
    account, service = sandbox_account(merchant_a.merchant)
    shipment = add_shipment(account, service)
    n, now = shipment.tracking_number, timezone.now()
    expired = event(n, S.EXPIRED, now - dt.timedelta(hours=2), "pickup period expired")

    ingest_results(account=account, results={n: result(n, expired)}, polled=True, now=now)
    shipment.refresh_from_db()
    assert shipment.status == "expired"
    assert dt.timedelta(hours=20) < shipment.next_poll_at - now < dt.timedelta(hours=28)

    back = event(n, S.RETURNED, now - dt.timedelta(hours=1), "returned to sender")
    ingest_results(account=account, results={n: result(n, expired, back)}, polled=True, now=now)
    shipment.refresh_from_db()
    assert shipment.status == "returned"
    assert shipment.next_poll_at is None
