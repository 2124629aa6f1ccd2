"""On-demand courier webhooks through the endpoint (POST /webhooks/couriers/<token>), on
PostgreSQL: positions and events stored after verification; unsigned, wrong, replayed, stale and
malformed webhooks refused with nothing stored; positions out of order (and two at once) keep
the newest; another merchant's job id never moves this merchant's shipment."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client

from fulfillment.models import CourierAccount, CourierPosition, ShipmentEvent, WebhookReceipt
from fulfillment.tracking.webhooks import forget_known_shipments
from tests.factories.couriers import make_account, make_service
from tests.support.couriers import payload, payload_bytes
from tests.support.tracking import add_shipment

UBER_KEY = "uber-signing-key-0b7e31"
STUART_VALUE = "Bearer stuart-hook-5f1d0c"
DELIVERY = "del_gJ3s5Q6FQKmYzP_uN-s6Pw"
JOB = "146970"


def account(merchant, courier: str, credentials: dict[str, str]) -> CourierAccount:
    return make_account(
        merchant,
        courier=courier,
        credentials="\n".join(f"{k}={v}" for k, v in credentials.items()),
        base_url="http://127.0.0.1:9",
    )


def on_demand(merchant, courier: str, reference: str):
    if courier == "uber_direct":
        credentials = {"customer_id": "cus_1", "client_id": "c", "client_secret": "s",
                       "webhook_signing_key": UBER_KEY}  # fmt: skip
    else:
        credentials = {"client_id": "c", "client_secret": "s", "webhook_auth_value": STUART_VALUE}
    acct = account(merchant, courier, credentials)
    service = make_service(acct, level="same_day", code="same-day", name="Same day")
    shipment = add_shipment(
        acct, service, number=reference, courier_reference=reference, status="out_for_delivery"
    )
    return acct, shipment


def uber_body(kind="courier_update", *, at=None, lat=40.71093, lng=-74.0119, event_id=None,
              delivery=DELIVERY) -> bytes:  # fmt: skip
    document = payload(f"uber_direct_webhook_{kind}.json")
    document["created"] = (at or datetime.now(UTC)).isoformat()
    document["delivery_id"] = delivery
    document["id"] = event_id or f"evt_{(at or datetime.now(UTC)).timestamp()}_{lat}_{lng}"
    if kind == "courier_update":
        document["location"] = {"lat": lat, "lng": lng}
    return json.dumps(document).encode()


def uber_signed(body: bytes, key: str = UBER_KEY) -> dict[str, str]:
    return {"x-uber-signature": hmac.new(key.encode(), body, hashlib.sha256).hexdigest()}


def post(token: str, body: bytes, headers: dict[str, str], client: Client | None = None):
    return (client or Client()).post(
        f"/webhooks/couriers/{token}", data=body, content_type="application/json", headers=headers
    )


def nothing_stored(shipment) -> bool:
    return not (
        WebhookReceipt.objects.exists()
        or CourierPosition.objects.filter(shipment=shipment).exists()
        or ShipmentEvent.objects.filter(shipment=shipment).exists()
    )


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


# --- stored --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_uber_courier_update_stores_the_couriers_position(uber):
    acct, shipment = uber
    at = datetime.now(UTC).replace(microsecond=0)
    body = uber_body(at=at)
    answer = post(acct.webhook_token, body, uber_signed(body))
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"events": 0, "shipments": 0, "changes": 0,
                             "positions": 1, "ignored_positions": 0}  # fmt: skip
    stored = CourierPosition.objects.get(shipment=shipment)
    assert (stored.latitude, stored.longitude) == (40.71093, -74.0119)
    assert (stored.recorded_at, stored.courier_name, stored.vehicle) == (at, "Cori", "car")
    assert stored.merchant_id == shipment.merchant_id
    assert WebhookReceipt.objects.filter(account=acct).count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_uber_status_webhook_stores_the_event_and_the_position(uber):
    acct, shipment = uber
    body = uber_body("delivery_status")
    answer = post(acct.webhook_token, body, uber_signed(body))
    assert answer.status_code == 200, answer.content
    assert answer.json()["events"] == 1 and answer.json()["positions"] == 1
    event = ShipmentEvent.objects.get(shipment=shipment, source="webhook")
    assert (event.status, event.courier_code) == ("out_for_delivery", "dropoff_imminent")
    assert event.courier_description == "Courier arriving"
    assert CourierPosition.objects.filter(shipment=shipment).exists()


@pytest.mark.django_db(transaction=True)
def test_a_stuart_driver_webhook_stores_the_position_and_a_job_webhook_the_event(stuart):
    acct, shipment = stuart
    headers = {"Authorization": STUART_VALUE}
    driver = payload_bytes("stuart_webhook_driver_update.json")
    assert post(acct.webhook_token, driver, headers).status_code == 200
    stored = CourierPosition.objects.get(shipment=shipment)
    assert (stored.latitude, stored.longitude, stored.courier_name) == (
        48.85559,
        2.36014,
        "Brannon",
    )
    job = payload_bytes("stuart_webhook_job_update.json")
    answer = post(acct.webhook_token, job, headers)
    assert answer.status_code == 200 and answer.json()["events"] == 1
    assert ShipmentEvent.objects.get(shipment=shipment, source="webhook").courier_code == (
        "almost_delivering"
    )


# --- refused, nothing stored ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "case, status, code",
    [
        ("unsigned", 401, "bad_signature"),
        ("wrong signature", 401, "bad_signature"),
        ("tampered", 401, "bad_signature"),
        ("stale", 401, "bad_signature"),
        ("malformed", 400, "malformed"),
        ("off earth", 400, "malformed"),
    ],
)
def test_a_bad_uber_webhook_is_refused_and_stores_nothing(uber, case, status, code):
    acct, shipment = uber
    body = uber_body("delivery_status")
    headers = uber_signed(body)
    if case == "unsigned":
        headers = {}
    elif case == "wrong signature":
        headers = uber_signed(body, key="not-the-key")
    elif case == "tampered":
        body = body.replace(b'"dropoff"', b'"delivered"', 1)
    elif case == "stale":
        body = uber_body("delivery_status", at=datetime.now(UTC) - timedelta(minutes=30))
        headers = uber_signed(body)
    elif case == "malformed":
        body = b'{"kind": "event.delivery_status", "created": "' + b"[" * 5000 + b'"}'
        headers = uber_signed(body)
    else:
        body = uber_body(lat=123.0)
        headers = uber_signed(body)
    answer = post(acct.webhook_token, body, headers)
    assert answer.status_code == status, answer.content
    assert answer.json()["code"] == code
    assert nothing_stored(shipment)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer guessed"}])
def test_a_stuart_webhook_without_the_configured_header_is_refused_and_stores_nothing(
    stuart, headers
):
    acct, shipment = stuart
    answer = post(acct.webhook_token, payload_bytes("stuart_webhook_driver_update.json"), headers)
    assert answer.status_code == 401 and answer.json()["code"] == "bad_signature"
    assert nothing_stored(shipment)


@pytest.mark.django_db(transaction=True)
def test_a_replayed_uber_event_is_refused_and_changes_nothing(uber):
    acct, shipment = uber
    first = uber_body(event_id="evt_once", lat=40.7)
    assert post(acct.webhook_token, first, uber_signed(first)).status_code == 200
    # The same event id again (a replay, even with another body and a fresh signature).
    again = uber_body(event_id="evt_once", lat=40.8, at=datetime.now(UTC) + timedelta(seconds=5))
    answer = post(acct.webhook_token, again, uber_signed(again))
    assert answer.status_code == 409 and answer.json()["code"] == "replayed"
    assert CourierPosition.objects.get(shipment=shipment).latitude == 40.7
    assert WebhookReceipt.objects.filter(account=acct).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_replayed_stuart_webhook_is_refused(stuart):
    acct, shipment = stuart
    body, headers = payload_bytes("stuart_webhook_job_update.json"), {"Authorization": STUART_VALUE}
    assert post(acct.webhook_token, body, headers).status_code == 200
    ShipmentEvent.objects.filter(shipment=shipment).delete()  # so a replay would show
    answer = post(acct.webhook_token, body, headers)
    assert answer.status_code == 409
    assert not ShipmentEvent.objects.filter(shipment=shipment).exists()


# --- out of order, at once ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_positions_out_of_order_keep_the_newest(uber):
    acct, shipment = uber
    now = datetime.now(UTC).replace(microsecond=0)
    newer = uber_body(at=now, lat=40.72)
    older = uber_body(at=now - timedelta(seconds=40), lat=40.70)
    assert post(acct.webhook_token, newer, uber_signed(newer)).status_code == 200
    answer = post(acct.webhook_token, older, uber_signed(older))
    assert answer.status_code == 200  # accepted (and its receipt kept), not newer: not stored
    stored = CourierPosition.objects.get(shipment=shipment)
    assert (stored.latitude, stored.recorded_at) == (40.72, now)


def post_at_once(token: str, bodies: list[bytes]) -> list[int]:
    """Each body from its own thread (own database connection), released together."""
    barrier, answers = threading.Barrier(len(bodies)), []

    def send(body: bytes) -> None:
        try:
            barrier.wait(timeout=10)
            answers.append(post(token, body, uber_signed(body)).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


@pytest.mark.django_db(transaction=True)
def test_two_positions_posted_at_once_keep_the_newest(uber):
    acct, shipment = uber
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    for round_ in range(6):
        times = [base + timedelta(seconds=10 * round_ + i) for i in (0, 1)]
        lats = [40.0 + 0.01 * round_, 40.0 + 0.01 * round_ + 0.001]
        bodies = [
            uber_body(at=t, lat=lat, event_id=f"evt_{round_}_{i}")
            for i, (t, lat) in enumerate(zip(times, lats, strict=True))
        ]
        if round_ % 2:
            bodies.reverse()  # the newer one first, half the time
        assert post_at_once(acct.webhook_token, bodies) == [200, 200]
        stored = CourierPosition.objects.get(shipment=shipment)
        assert (stored.recorded_at, stored.latitude) == (times[1], pytest.approx(lats[1]))


# --- tenants ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_another_merchants_job_id_never_moves_this_merchants_shipment(merchant_a, merchant_b):
    acct_a, shipment_a = on_demand(merchant_a.merchant, "uber_direct", DELIVERY)
    acct_b, shipment_b = on_demand(merchant_b.merchant, "uber_direct", "del_only_merchant_b")
    # B's webhook naming a delivery of A (and one it does not know): ignored, counted.
    body = uber_body(delivery=DELIVERY)
    answer = post(acct_b.webhook_token, body, uber_signed(body))
    assert answer.status_code == 200
    assert answer.json()["positions"] == 0 and answer.json()["ignored_positions"] == 1
    status = uber_body("delivery_status", delivery=DELIVERY)
    assert post(acct_b.webhook_token, status, uber_signed(status)).json()["shipments"] == 0
    # A's webhook naming B's delivery: ignored too.
    body = uber_body(delivery="del_only_merchant_b")
    assert post(acct_a.webhook_token, body, uber_signed(body)).json()["ignored_positions"] == 1
    assert not CourierPosition.objects.exists()
    assert not ShipmentEvent.objects.filter(shipment__in=[shipment_a, shipment_b]).exists()


@pytest.mark.django_db(transaction=True)
def test_the_same_job_id_at_two_merchants_moves_only_the_one_whose_account_sent_it(
    merchant_a, merchant_b
):
    acct_a, shipment_a = on_demand(merchant_a.merchant, "stuart", JOB)
    _, shipment_b = on_demand(merchant_b.merchant, "stuart", JOB)
    driver = payload_bytes("stuart_webhook_driver_update.json")
    assert post(acct_a.webhook_token, driver, {"Authorization": STUART_VALUE}).status_code == 200
    assert CourierPosition.objects.filter(shipment=shipment_a).exists()
    assert not CourierPosition.objects.filter(shipment=shipment_b).exists()


@pytest.mark.django_db(transaction=True)
def test_a_position_for_a_shipment_deleted_since_it_was_known_asks_for_a_retry(uber):
    acct, shipment = uber
    body = uber_body(lat=40.7)
    assert post(acct.webhook_token, body, uber_signed(body)).status_code == 200
    shipment.delete()  # not a product operation (shipments are cancelled), but possible
    body = uber_body(lat=40.71, at=datetime.now(UTC) + timedelta(seconds=1))
    answer = post(acct.webhook_token, body, uber_signed(body))
    assert answer.status_code == 503 and answer.json()["code"] == "try_again"
    assert WebhookReceipt.objects.count() == 1  # the refused one left no receipt
    again = post(acct.webhook_token, body, uber_signed(body))  # the courier's retry
    assert again.status_code == 200 and again.json()["ignored_positions"] == 1


@pytest.mark.django_db(transaction=True)
def test_nul_bytes_and_lone_surrogates_from_the_courier_are_stored_clean_not_a_500(uber):
    acct, shipment = uber
    document = json.loads(uber_body(lat=40.7))
    document["delivery_id"] = DELIVERY + "\x00"
    document["data"]["courier"]["name"] = "\ud800Co\x00ri R."
    document["data"]["courier"]["vehicle_type"] = "car\x00<script>"
    body = json.dumps(document).encode()  # json escapes both: valid JSON, hostile strings
    answer = post(acct.webhook_token, body, uber_signed(body))
    assert answer.status_code == 200, answer.content
    stored = CourierPosition.objects.get(shipment=shipment)
    assert (stored.courier_name, stored.vehicle) == ("Cori", "car<script>")
    status = json.loads(uber_body("delivery_status"))
    status["status"] = "\x00dropoff\ud800"
    body = json.dumps(status).encode()
    assert post(acct.webhook_token, body, uber_signed(body)).status_code == 200
    assert ShipmentEvent.objects.get(shipment=shipment, source="webhook").courier_code == (
        "dropoff_imminent"
    )
