"""Outgoing webhooks through the real pipeline once: order intake's signal after commit, the
task on Redis, a celery worker process POSTing to the receiver thread; a failed attempt comes
back through beat's sweep task."""

import pytest
from django.utils import timezone

from integrations.models import WebhookDelivery
from integrations.webhooks.services.endpoints import create_endpoint
from integrations.webhooks.tasks import queue_due_webhooks
from tests.factories.orders import make_order
from tests.support.helpers import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_worker_delivers_an_order_event_and_the_sweep_retries_a_failed_one(
    celery_worker, merchant_a, receiver
):
    receiver.fail_first = 1
    create_endpoint(merchant=merchant_a.merchant, url=receiver.url, events=["order.created"])
    order = make_order(merchant_a.merchant)

    wait_for(lambda: receiver.requests, timeout=30, what="the first attempt")
    delivery = wait_for(
        lambda: WebhookDelivery.objects.filter(state="pending", attempts=1).first(),
        timeout=30,
        what="the failed attempt recorded",
    )
    assert delivery.last_status_code == 500
    # Time passes: the retry is due; beat's sweep queues it and the worker sends it.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    queue_due_webhooks.delay()
    wait_for(lambda: receiver.accepted, timeout=30, what="the retried delivery")
    delivery = wait_for(
        lambda: WebhookDelivery.objects.filter(pk=delivery.pk, state="delivered").first(),
        timeout=30,
        what="the delivery marked delivered",
    )
    assert delivery.attempts == 2
    assert receiver.accepted[0].document["data"]["order"]["id"] == order.pk
    assert len(receiver.accepted) == 1
