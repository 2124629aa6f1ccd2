"""Courier webhooks: a good signed push is stored; unsigned, tampered, stale and replayed
requests are refused with a 4xx and store nothing."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from fulfillment.couriers.adapters.webhooks import signed_headers
from fulfillment.models import ShipmentEvent, WebhookReceipt
from tests.support.tracking import WEBHOOK_SECRET, add_shipment, sandbox_account


def body_for(number: str) -> bytes:
    return json.dumps(
        {
            "shipments": [
                {
                    "id": number,
                    "events": [
                        {"timestamp": "2025-06-02T10:00:00.000Z", "statusCode": "transit",
                         "status": "OUT FOR DELIVERY", "description": "With the courier."},
                        {"timestamp": "2025-06-02T08:00:00.000Z", "statusCode": "transit",
                         "status": "PICKED UP", "description": "Picked up."},
                    ],
                }
            ]
        }
    ).encode()  # fmt: skip


def post(client: Client, token: str, body: bytes, headers: dict[str, str]):
    return client.post(
        f"/webhooks/couriers/{token}",
        data=body,
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture
def hook(merchant_a):
    account, service = sandbox_account(merchant_a.merchant)
    shipment = add_shipment(account, service)
    return account, shipment, body_for(shipment.tracking_number)


@pytest.mark.django_db(transaction=True)
def test_a_signed_webhook_is_stored_and_moves_the_shipment(hook):
    account, shipment, body = hook
    answer = post(Client(), account.webhook_token, body, signed_headers(WEBHOOK_SECRET, body))
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"events": 2, "shipments": 1, "changes": 1}
    shipment.refresh_from_db()
    assert shipment.status == "out_for_delivery"
    assert ShipmentEvent.objects.filter(shipment=shipment, source="webhook").count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("case", ["unsigned", "tampered", "stale", "wrong_secret"])
def test_a_bad_webhook_is_refused_and_stores_nothing(hook, case):
    account, shipment, body = hook
    headers = signed_headers(WEBHOOK_SECRET, body)
    if case == "unsigned":
        headers = {}
    elif case == "tampered":
        body = body.replace(b"OUT FOR DELIVERY", b"DELIVERED")
    elif case == "stale":
        headers = signed_headers(WEBHOOK_SECRET, body, now=time.time() - 301)
    else:
        headers = signed_headers("not-the-secret", body)
    answer = post(Client(), account.webhook_token, body, headers)
    assert answer.status_code == 401
    assert answer.json()["code"] == "bad_signature"
    assert not ShipmentEvent.objects.filter(shipment=shipment).exists()
    assert not WebhookReceipt.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_replayed_webhook_is_refused(hook):
    account, shipment, body = hook
    headers = signed_headers(WEBHOOK_SECRET, body)
    assert post(Client(), account.webhook_token, body, headers).status_code == 200
    ShipmentEvent.objects.filter(shipment=shipment).delete()  # so a replay would show
    replay = post(Client(), account.webhook_token, body, headers)
    assert replay.status_code == 409 and replay.json()["code"] == "replayed"
    assert not ShipmentEvent.objects.filter(shipment=shipment).exists()
    assert WebhookReceipt.objects.filter(account=account).count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_unknown_webhook_address_is_404_and_a_get_is_405(hook):
    _, _, body = hook
    assert post(Client(), "nope", body, signed_headers(WEBHOOK_SECRET, body)).status_code == 404
    assert Client().get("/webhooks/couriers/nope").status_code == 405
