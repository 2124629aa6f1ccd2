"""The shopper hears that the return label is ready and that the return arrived: once each,
in the shop's brand and the shopper's language; the worker sends it after the change commits."""

from __future__ import annotations

import pytest
from django.core import mail

from fulfillment.messaging.services.order_messages import send_return_message
from fulfillment.models import Order, SentMessage
from fulfillment.returns.services.requests import receive_return
from tests.fulfillment.returns.factories import make_return
from tests.support.helpers import wait_for


@pytest.mark.django_db
def test_return_messages_go_once_each_in_the_shoppers_language(merchant_a):
    request = make_return(merchant_a.merchant)
    assert (request.state, request.method) == ("approved", "label")
    Order.objects.filter(pk=request.order_id).update(language="es")
    send_return_message(return_id=request.pk)
    assert send_return_message(return_id=request.pk) == []  # a second run sends nothing
    [label] = mail.outbox
    assert label.subject == "Tu etiqueta de devolución para Shop A"
    assert f"/r/{request.public_token}/" in label.body
    assert request.shipment.tracking_number in label.body

    receive_return(merchant=merchant_a.merchant, request=request, how="test")
    send_return_message(return_id=request.pk)
    assert mail.outbox[-1].subject == "Shop A ha recibido tu devolución"
    events = SentMessage.objects.filter(order_id=request.order_id).values_list("event", flat=True)
    assert sorted(events) == ["return_label_ready", "return_received"]


@pytest.mark.django_db(transaction=True)
def test_the_worker_tells_the_shopper_once_the_return_is_approved(merchant_a, celery_worker):
    request = make_return(merchant_a.merchant)
    sent = wait_for(
        lambda: SentMessage.objects.filter(
            order_id=request.order_id, event="return_label_ready"
        ).first(),
        timeout=60,
    )
    assert sent.channel == "email" and sent.recipient == "ada@example.com"
    assert sent.state == "sent"
