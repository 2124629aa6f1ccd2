"""Hostile but correctly authenticated courier webhooks and junk webhook addresses, through the
endpoint (POST /webhooks/couriers/<token>), and junk tracking links (/t/<token>/): a clear 4xx
with nothing stored, never a 500."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.test import Client

from fulfillment.models import CourierPosition
from fulfillment.tracking.webhooks import forget_known_shipments
from tests.fulfillment.tracking.test_courier_positions import (
    DELIVERY,
    JOB,
    STUART_VALUE,
    nothing_stored,
    on_demand,
    post,
    uber_signed,
)
from tests.support.couriers import payload


@pytest.fixture(autouse=True)
def _no_shipments_known_from_another_test():
    forget_known_shipments()
    yield
    forget_known_shipments()


@pytest.fixture
def uber(merchant_a):
    return on_demand(merchant_a.merchant, "uber_direct", DELIVERY)


@pytest.fixture
def stuart(merchant_a):
    return on_demand(merchant_a.merchant, "stuart", JOB)


def uber_update(location: dict) -> bytes:
    document = payload("uber_direct_webhook_courier_update.json")
    document.update(
        created=datetime.now(UTC).isoformat(), delivery_id=DELIVERY, id="evt_1", location=location
    )
    return json.dumps(document).encode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("location", [{"lat": 10**400, "lng": 1}, {"lat": 1, "lng": -(10**400)}])
def test_an_uber_coordinate_too_large_for_a_float_is_malformed_not_a_500(uber, location):
    acct, shipment = uber
    body = uber_update(location)
    answer = post(acct.webhook_token, body, uber_signed(body))
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "malformed"
    assert nothing_stored(shipment)


@pytest.mark.django_db(transaction=True)
def test_a_stuart_coordinate_too_large_for_a_float_is_malformed_not_a_500(stuart):
    acct, shipment = stuart
    body = json.dumps(
        {"event": "driver", "type": "update",
         "data": {"latitude": 10**400, "longitude": 2.3, "job": {"id": JOB}}}
    ).encode()  # fmt: skip
    answer = post(acct.webhook_token, body, {"Authorization": STUART_VALUE})
    assert answer.status_code == 400, answer.content
    assert nothing_stored(shipment)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("status", [["almost_delivering"], {"a": 1}])
def test_a_stuart_delivery_status_that_is_not_a_text_is_no_500(stuart, status):
    acct, shipment = stuart
    body = json.dumps(
        {"event": "driver", "type": "update",
         "data": {"latitude": 48.8, "longitude": 2.3,
                  "job": {"id": JOB, "currentDelivery": {"status": status}}}}
    ).encode()  # fmt: skip
    answer = post(acct.webhook_token, body, {"Authorization": STUART_VALUE})
    assert answer.status_code == 200, answer.content
    assert answer.json()["positions"] == 1
    assert CourierPosition.objects.filter(shipment=shipment).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("token", ["a\x00b", "\x00", "x" * 5000, "é", "a b"])
def test_a_junk_webhook_address_is_unknown_not_a_500(uber, token):
    _, shipment = uber
    answer = post(token, b"{}", {})
    assert answer.status_code == 404, answer.content
    assert answer.json()["code"] == "unknown_webhook"
    assert nothing_stored(shipment)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/t/a%00b/", "/t/a%00b/status"])
def test_a_tracking_link_with_a_nul_byte_is_not_found_not_a_500(path):
    assert Client().get(path).status_code == 404


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("length", ["²", "٣", "abc"])
def test_a_content_length_of_non_ascii_digits_is_malformed_not_a_500(stuart, length):
    acct, shipment = stuart
    answer = post(
        acct.webhook_token, b"{}", {"Authorization": STUART_VALUE, "Content-Length": length}
    )
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "malformed"
    assert nothing_stored(shipment)
