"""Stored deliveries are taken in by drain tasks (integrations/platforms/receiving.py): a burst
queues one drain, not a task per delivery; a delivery stored while a drain is coming is still
seen; drains side by side on PostgreSQL never take one delivery twice; a retryable failure is
postponed with backoff and failed after MAX_ATTEMPTS; the view's remembered connection follows a
rotated secret and a disconnect."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.cache import cache
from django.db import connection as db
from django.utils import timezone

from fulfillment.models import Order
from integrations.models import InboundWebhook, PlatformConnection, PlatformOrder
from integrations.platforms import intake, receiving
from integrations.platforms.credentials import store_credentials
from merchant.services.geocoding import GeocoderUnavailable
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import stock
from tests.integrations.platforms.shopify_support import (
    chicago_order,
    django_headers,
    make_connection,
    signed,
)


@pytest.fixture
def connection(merchant_a):
    return make_connection(merchant_a.merchant)


@pytest.fixture
def stocked(merchant_a):
    merchant = merchant_a.merchant
    point = make_point(merchant, postal_code="60614")
    stock(merchant, point, make_product(merchant, sku="MUG-1"), 100)
    return point


@pytest.fixture
def drains(monkeypatch) -> list[int | None]:
    """The drains queued (their countdown), instead of sending them to the broker."""
    queued: list[int | None] = []
    monkeypatch.setattr(receiving, "queue_drain", lambda countdown=None: queued.append(countdown))
    cache.delete(receiving.drain_flag_key())
    yield queued
    cache.delete(receiving.drain_flag_key())


def post(client, connection, order: dict, **options):
    body, headers = signed("orders/create", order, **options)
    return client.post(
        receiving.webhook_url(connection).removeprefix("http://localhost:8000"),
        data=body,
        content_type="application/json",
        **django_headers(headers),
    )


@pytest.mark.django_db
def test_a_burst_of_deliveries_queues_one_drain_which_takes_them_all_in(
    client, connection, stocked, drains, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            assert post(client, connection, chicago_order("MUG-1")).status_code == 200
    assert drains == [None]

    drained = receiving.drain()

    assert drained.states == {"done": 3} and drained.failed == drained.postponed == 0
    assert Order.objects.count() == 3
    assert set(InboundWebhook.objects.values_list("state", "attempts")) == {("done", 1)}
    # The drain cleared its flag: the next delivery queues a new one.
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, connection, chicago_order("MUG-1")).status_code == 200
    assert drains == [None, None]


@pytest.mark.django_db
def test_a_delivery_stored_while_a_drain_is_coming_is_taken_in_by_it(
    client, connection, stocked, drains, django_capture_on_commit_callbacks
):
    cache.add(receiving.drain_flag_key(), "coming", 60)  # a drain is queued, not yet running
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, connection, chicago_order("MUG-1")).status_code == 200
    assert drains == []  # no second task

    assert receiving.drain().states == {"done": 1}
    assert cache.get(receiving.drain_flag_key()) is None


@pytest.mark.django_db
def test_a_retryable_failure_is_postponed_with_backoff_then_failed(
    client, connection, stocked, drains, monkeypatch
):
    assert post(client, connection, chicago_order("MUG-1")).status_code == 200
    webhook = InboundWebhook.objects.get()

    def geocoder_down(**_):
        raise GeocoderUnavailable("the geocoder is away")

    monkeypatch.setattr(intake, "take_in", geocoder_down)
    drained = receiving.drain()

    assert (drained.postponed, drained.failed, drained.retry_in) == (1, 0, 4)
    assert drains == [4]  # a drain comes back when it is due
    webhook.refresh_from_db()
    assert (webhook.state, webhook.attempts) == ("queued", 1)
    assert webhook.error == "Will try again: the geocoder is away"
    assert webhook.processed_at > timezone.now()  # not before then
    assert receiving.process_webhook() is None  # not due yet
    assert receiving.queued_too_long(older_than=dt.timedelta(0)) == []  # beat waits too

    InboundWebhook.objects.filter(pk=webhook.pk).update(
        attempts=receiving.MAX_ATTEMPTS - 1, processed_at=timezone.now()
    )
    assert receiving.drain().failed == 1
    webhook.refresh_from_db()
    assert webhook.state == "failed"
    assert webhook.error == "Gave up after retries: the geocoder is away"


@pytest.mark.django_db
def test_beat_queues_one_drain_for_every_delivery_left_waiting(client, connection, drains):
    from integrations.platforms.tasks import queue_lost_inbound_webhooks

    for _ in range(3):
        assert post(client, connection, chicago_order("MUG-1")).status_code == 200
    assert queue_lost_inbound_webhooks() == 0  # arrived just now: their drain is coming
    InboundWebhook.objects.update(received_at=timezone.now() - dt.timedelta(minutes=5))
    assert queue_lost_inbound_webhooks() == 1
    assert drains == [None]


@pytest.mark.django_db(transaction=True)
def test_two_drains_at_once_take_each_delivery_once(merchant_a, drains):
    """Two worker processes draining together (PostgreSQL, FOR UPDATE SKIP LOCKED)."""
    merchant = merchant_a.merchant
    stock(
        merchant,
        make_point(merchant, postal_code="60614"),
        make_product(merchant, sku="MUG-1"),
        100,
    )
    store = make_connection(merchant)
    for n in range(12):
        InboundWebhook.objects.create(
            merchant=merchant,
            connection=store,
            delivery_id=f"d{n}",
            topic="order.created",
            payload=chicago_order("MUG-1"),
        )
    start, results = threading.Barrier(2), []

    def drain() -> None:
        try:
            start.wait()
            results.append(receiving.drain())
        finally:
            db.close()

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r.states.get("done", 0) for r in results) == 12
    assert all(r.failed == r.postponed == 0 for r in results)
    assert Order.objects.count() == 12 == PlatformOrder.objects.filter(state="imported").count()
    assert set(InboundWebhook.objects.values_list("state", "attempts")) == {("done", 1)}


@pytest.mark.django_db
def test_the_remembered_connection_follows_a_new_secret_and_a_disconnect(
    client, connection, drains
):
    assert post(client, connection, chicago_order("MUG-1")).status_code == 200  # remembered
    # The secret changed behind the ORM (no signal): the refusal is checked again afresh.
    store_credentials(connection, {"access_token": "shpat_x", "app_secret": "a-new-secret-1234"})
    PlatformConnection.objects.filter(pk=connection.pk).update(
        credentials_encrypted=connection.credentials_encrypted
    )
    answer = post(client, connection, chicago_order("MUG-1"), secret="a-new-secret-1234")
    assert answer.status_code == 200
    assert post(client, connection, chicago_order("MUG-1")).status_code == 401  # the old one

    connection.state = PlatformConnection.State.DISCONNECTED
    connection.save()  # the page's disconnect saves the row: forgotten at once
    assert post(client, connection, chicago_order("MUG-1")).status_code == 404
    assert InboundWebhook.objects.count() == 2
