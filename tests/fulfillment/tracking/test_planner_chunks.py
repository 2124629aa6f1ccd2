"""The planner claims due shipments a chunk at a time, each chunk committed and queued on its
own (the worker starts on the first batches while the planner claims the rest), and claims each
due shipment exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fulfillment.models import Shipment
from fulfillment.tracking import polling
from tests.support.tracking import add_shipment, sandbox_account


@pytest.mark.django_db
def test_planner_claims_in_committed_chunks_each_due_shipment_once(
    merchant_a, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(polling, "CLAIM_CHUNK", 2)
    account, service = sandbox_account(merchant_a.merchant)
    now = timezone.now()
    due = [
        add_shipment(account, service, next_poll_at=now - dt.timedelta(minutes=1)) for _ in range(5)
    ]
    later = add_shipment(account, service, next_poll_at=now + dt.timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = polling.plan_polls(now=now, lease=dt.timedelta(minutes=10))

    assert report.claimed == 5
    assert report.batches == 3  # chunks of 2, 2 and 1: one batch each
    assert len(callbacks) == 3 + 1  # one enqueue per chunk, then the change feeds
    leased = set(
        Shipment.objects.filter(pk__in=[s.pk for s in due]).values_list("next_poll_at", flat=True)
    )
    assert leased == {now + dt.timedelta(minutes=10)}
    later.refresh_from_db()
    assert later.next_poll_at == now + dt.timedelta(hours=1)

    again = polling.plan_polls(now=now, lease=dt.timedelta(minutes=10))
    assert again.claimed == 0 and again.batches == 0
