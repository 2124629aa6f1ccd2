"""Real concurrent transactions on PostgreSQL: the same delivery run by several workers at
once is sent once; the same change signalled by several at once is one event."""

import threading

import pytest
from django.db import connection

from integrations.models import WebhookDelivery, WebhookEvent
from integrations.webhooks.services import deliveries
from integrations.webhooks.services.endpoints import create_endpoint

pytestmark = pytest.mark.django_db(transaction=True)
RUNNERS = 4


def all_at_once(work) -> list:
    barrier = threading.Barrier(RUNNERS)
    results: list = []
    errors: list = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(work())
        except Exception as error:  # reported below, with the thread's own traceback lost
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(RUNNERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_a_delivery_run_by_four_workers_at_once_is_sent_once(merchant_a, receiver, monkeypatch):
    monkeypatch.setattr(deliveries, "_enqueue", lambda ids: None)
    create_endpoint(merchant=merchant_a.merchant, url=receiver.url, events=["order.created"])
    deliveries.record_event(
        merchant_id=merchant_a.merchant.pk,
        event_type="order.created",
        key="k",
        ordering_key="order:1",
        data={},
    )
    delivery = WebhookDelivery.objects.get()
    outcomes = all_at_once(lambda: deliveries.attempt_delivery(delivery_id=delivery.pk))
    assert sum(o is not None for o in outcomes) == 1
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("delivered", 1)


def test_one_change_signalled_by_four_processes_at_once_is_one_event(
    merchant_a, receiver, monkeypatch
):
    monkeypatch.setattr(deliveries, "_enqueue", lambda ids: None)
    create_endpoint(merchant=merchant_a.merchant, url=receiver.url, events=["order.created"])
    events = all_at_once(
        lambda: (
            deliveries.record_event(
                merchant_id=merchant_a.merchant.pk,
                event_type="order.created",
                key="order.created:9",
                ordering_key="order:9",
                data={},
            ).pk
        )
    )
    assert len(set(events)) == 1
    assert WebhookEvent.objects.count() == 1
    assert WebhookDelivery.objects.count() == 1
