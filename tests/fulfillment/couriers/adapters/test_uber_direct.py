"""Uber Direct: documented samples parsed to our model; quote, delivery, cancel and tracking
against a fake Uber over real HTTP (replaying its documented bodies); webhooks signed as Uber
documents (hex HMAC-SHA256 of the raw body in x-uber-signature or x-postmates-signature), with
their own time checked and their event id as nonce."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from fulfillment.couriers.adapters import get_adapter
from fulfillment.couriers.adapters.errors import (
    CourierRejected,
    MalformedResponse,
    TrackingNotFound,
    WebhookRejected,
)
from fulfillment.couriers.adapters.http import CourierHttp
from fulfillment.couriers.adapters.types import Parcel, ShipmentRequest, TrackingStatus
from fulfillment.couriers.adapters.uber_direct import parse_delivery
from tests.fulfillment.couriers.adapters.ondemand_server import running_fake_courier
from tests.support.couriers import FAST_RETRIES, payload, payload_bytes

CLIENT_SECRET = "uber-client-secret-41f7aa"
SIGNING_KEY = "c5c26d5a-70d6-46c7-a652-d7c09825ad29"
CUSTOMER = "cus_dEl9gXbrS2-n8nZ0bXkHog"
CREDENTIALS = {
    "customer_id": CUSTOMER,
    "client_id": "uber-client-id",
    "client_secret": CLIENT_SECRET,
    "webhook_signing_key": SIGNING_KEY,
    "store_phone": "+15555555555",
}
DELIVERY = "del_gJ3s5Q6FQKmYzP_uN-s6Pw"
BASE = f"/v1/customers/{CUSTOMER}"
REQUEST = ShipmentRequest(
    sender={"name": "Store Name", "street": "20 W 34th St", "city": "New York",
            "postal_code": "10001", "country": "US"},
    recipient={"name": "Gordon Shumway", "street": "231 Hudson St", "city": "New York",
               "postal_code": "10013", "country": "US"},
    parcels=(Parcel(weight_g=500, length_mm=200, width_mm=150, height_mm=100),),
    service_code="any",
    reference="REF0000002",
    idempotency_key="nbx-m1-order-2",
)  # fmt: skip


@pytest.fixture
def fake_courier():
    yield from running_fake_courier()


def uber(courier, **credentials):
    http = CourierHttp(account_id=f"uber-test-{id(courier)}", policy=FAST_RETRIES)
    return get_adapter(
        "uber_direct", credentials={**CREDENTIALS, **credentials}, base_url=courier.url, http=http
    )


def with_token(courier):
    courier.on(
        "POST", "/oauth/v2/token", (200, payload_bytes("uber_direct_oauth_token_response.json"))
    )


def signed(document: dict, *, created: datetime | None = None, key: str = SIGNING_KEY):
    """The document as Uber would send it now: its `created` set, signed with `key`."""
    document = {**document, "created": (created or datetime.now(UTC)).isoformat()}
    body = json.dumps(document).encode()
    return body, {"x-uber-signature": hmac.new(key.encode(), body, hashlib.sha256).hexdigest()}


# --- documented samples -------------------------------------------------------------------


def test_the_documented_delivery_is_info_received_with_eta_to_deadline_as_window():
    result = parse_delivery(payload("uber_direct_delivery_response.json"))
    assert result.tracking_number == DELIVERY
    assert result.status is TrackingStatus.INFO_RECEIVED
    assert result.estimated_delivery.start == datetime(2023, 7, 6, 5, 47, 2, 411000, tzinfo=UTC)
    assert result.estimated_delivery.end == datetime(2023, 7, 6, 6, 6, 2, 411000, tzinfo=UTC)


def test_a_cancelled_delivery_is_an_exception_with_ubers_status_kept():
    result = parse_delivery(payload("uber_direct_cancel_delivery_response.json"))
    assert result.status is TrackingStatus.EXCEPTION
    assert result.events[-1].courier_code == "canceled"
    assert result.events[-1].reason_code == "canceled"


# --- quote, delivery, cancel, tracking over HTTP ------------------------------------------


def test_a_quote_is_the_fee_in_cents_with_ubers_eta_and_one_cached_token(fake_courier):
    with_token(fake_courier)
    quotes = payload_bytes("uber_direct_delivery_quote_response.json")
    fake_courier.on("POST", f"{BASE}/delivery_quotes", (200, quotes))
    adapter = uber(fake_courier)
    [quote] = adapter.quote(REQUEST)
    adapter.quote(REQUEST)
    assert (quote.courier, quote.service_code) == ("uber_direct", "same-day")
    assert (quote.price_minor, quote.currency) == (600, "USD")
    assert quote.estimated_delivery.start == datetime(2023, 7, 6, 5, 45, 2, 411000, tzinfo=UTC)
    [token] = fake_courier.requests("POST", "/oauth/v2/token")
    assert token.form() == {"grant_type": "client_credentials", "client_id": "uber-client-id",
                            "client_secret": CLIENT_SECRET, "scope": "eats.deliveries"}  # fmt: skip
    sent = fake_courier.requests("POST", f"{BASE}/delivery_quotes")
    assert len(sent) == 2
    assert sent[0].headers["authorization"].startswith("Bearer IA.uber-direct-sandbox-token")
    body = sent[0].json()
    assert json.loads(body["dropoff_address"]) == {
        "street_address": ["231 Hudson St"], "city": "New York", "state": "",
        "zip_code": "10013", "country": "US",
    }  # fmt: skip
    assert body["pickup_phone_number"] == "+15555555555"


def test_the_token_comes_from_auth_uber_com_unless_the_base_url_is_our_own():
    default = get_adapter("uber_direct", credentials=CREDENTIALS)
    assert default.token_url() == "https://auth.uber.com/oauth/v2/token"
    own = get_adapter("uber_direct", credentials=CREDENTIALS, base_url="http://127.0.0.1:1")
    assert own.token_url() == "http://127.0.0.1:1/oauth/v2/token"


def test_creating_a_delivery_sends_our_idempotency_key_and_keeps_the_delivery_id(fake_courier):
    with_token(fake_courier)
    fake_courier.on(
        "POST", f"{BASE}/deliveries", (200, payload_bytes("uber_direct_delivery_response.json"))
    )
    created = uber(fake_courier).create_shipment(REQUEST)
    assert (created.tracking_number, created.courier_reference) == (DELIVERY, DELIVERY)
    [sent] = fake_courier.requests("POST", f"{BASE}/deliveries")
    body = sent.json()
    assert body["idempotency_key"] == body["external_id"] == "nbx-m1-order-2"
    assert sent.headers["idempotency-key"] == "nbx-m1-order-2"
    assert body["manifest_items"][0]["dimensions"] == {"length": 20, "height": 10, "depth": 15}
    assert (body["pickup_name"], body["dropoff_name"]) == ("Store Name", "Gordon Shumway")


def test_a_delivery_uber_refuses_is_a_rejection_in_ubers_words(fake_courier):
    with_token(fake_courier)
    fake_courier.on(
        "POST", f"{BASE}/deliveries", (400, payload_bytes("uber_direct_error_invalid_params.json"))
    )
    with pytest.raises(CourierRejected) as refused:
        uber(fake_courier).create_shipment(REQUEST)
    assert refused.value.courier_code == "invalid_params"
    assert "e164" in str(refused.value)


def test_a_revoked_token_is_renewed_once_and_a_wrong_secret_is_refused(fake_courier):
    fake_courier.on(
        "POST", "/oauth/v2/token",
        (200, payload_bytes("uber_direct_oauth_token_response.json")),
        (401, payload_bytes("uber_direct_oauth_error_invalid_client.json")),
    )  # fmt: skip
    fake_courier.on("POST", f"{BASE}/delivery_quotes", (401, b'{"code": "unauthorized"}'))
    with pytest.raises(CourierRejected) as refused:
        uber(fake_courier).quote(REQUEST)
    assert refused.value.status_code == 401 and refused.value.courier_code == "invalid_client"
    assert CLIENT_SECRET not in str(refused.value)
    assert len(fake_courier.requests("POST", "/oauth/v2/token")) == 2


def test_cancel_and_tracking_use_the_delivery_id(fake_courier):
    with_token(fake_courier)
    fake_courier.on(
        "POST", f"{BASE}/deliveries/{DELIVERY}/cancel",
        (200, payload_bytes("uber_direct_cancel_delivery_response.json")),
    )  # fmt: skip
    fake_courier.on(
        "GET", f"{BASE}/deliveries/{DELIVERY}",
        (200, payload_bytes("uber_direct_delivery_response.json")),
    )  # fmt: skip
    fake_courier.on(
        "GET",
        f"{BASE}/deliveries/del_nope",
        (404, payload_bytes("uber_direct_error_not_found.json")),
    )
    adapter = uber(fake_courier)
    adapter.cancel(DELIVERY)
    assert len(fake_courier.requests("POST", f"{BASE}/deliveries/{DELIVERY}/cancel")) == 1
    results = adapter.track([DELIVERY, "del_nope", "del/../x"])
    assert results[DELIVERY].status is TrackingStatus.INFO_RECEIVED
    assert isinstance(results["del_nope"], TrackingNotFound)
    assert isinstance(results["del/../x"], TrackingNotFound)


# --- webhooks -------------------------------------------------------------------------------


def parse(body: bytes, headers: dict):
    return get_adapter("uber_direct", credentials=CREDENTIALS).parse_webhook_update(body, headers)


def test_the_documented_courier_update_is_a_position_of_the_delivery():
    body, headers = signed(payload("uber_direct_webhook_courier_update.json"))
    update = parse(body, headers)
    [position] = update.positions
    assert position.reference == DELIVERY
    assert (position.latitude, position.longitude) == (40.71093, -74.0119)
    assert (position.courier_name, position.vehicle) == ("Cori", "car")
    assert position.eta_at == datetime(2023, 7, 6, 5, 47, 2, 411000, tzinfo=UTC)
    assert not update.events
    assert update.nonce == "uber_direct:evt_MAS_RyQBiCaGA-"


def test_the_documented_status_webhook_is_an_event_and_imminent_dropoff_is_arriving():
    body, headers = signed(payload("uber_direct_webhook_delivery_status.json"))
    update = parse(body, headers)
    [event] = update.events
    assert event.status is TrackingStatus.OUT_FOR_DELIVERY
    assert (event.courier_code, event.courier_description) == (
        "dropoff_imminent",
        "Courier arriving",
    )
    [position] = update.positions
    assert position.arriving is True


def test_the_legacy_postmates_signature_header_is_accepted_too():
    body, headers = signed(payload("uber_direct_webhook_courier_update.json"))
    legacy = {"X-Postmates-Signature": headers["x-uber-signature"].upper()}
    assert parse(body, legacy).positions


@pytest.mark.parametrize("case", ["unsigned", "wrong key", "tampered", "stale", "future"])
def test_a_bad_webhook_is_refused(case):
    document = payload("uber_direct_webhook_courier_update.json")
    body, headers = signed(document)
    if case == "unsigned":
        headers = {}
    elif case == "wrong key":
        body, headers = signed(document, key="not-the-key")
    elif case == "tampered":
        body = body.replace(b"40.71093", b"40.71094")
    elif case == "stale":
        body, headers = signed(document, created=datetime.now(UTC) - timedelta(minutes=11))
    else:
        body, headers = signed(document, created=datetime.now(UTC) + timedelta(minutes=6))
    with pytest.raises(WebhookRejected):
        parse(body, headers)


def test_the_documented_sample_as_sent_in_2023_is_stale_now():
    body = payload_bytes("uber_direct_webhook_courier_update.json")
    signature = hmac.new(SIGNING_KEY.encode(), body, hashlib.sha256).hexdigest()
    with pytest.raises(WebhookRejected, match="older than"):
        parse(body, {"x-uber-signature": signature})


@pytest.mark.parametrize(
    "change",
    [
        {"created": "yesterday-ish"},
        {"delivery_id": None, "data": {}},
        {"location": {"lat": 91, "lng": 0}},
        {"location": {"lat": True, "lng": 0}},
        {"location": None, "data": {"id": DELIVERY}},
    ],
    ids=["bad time", "no delivery", "off earth", "bool lat", "no location"],
)
def test_a_signed_but_malformed_webhook_is_malformed(change):
    document = {**payload("uber_direct_webhook_courier_update.json"), **change}
    body = json.dumps(document).encode()
    if "created" not in change:
        body, _ = signed(document)
    headers = {"x-uber-signature": hmac.new(SIGNING_KEY.encode(), body, hashlib.sha256).hexdigest()}
    with pytest.raises(MalformedResponse):
        parse(body, headers)
