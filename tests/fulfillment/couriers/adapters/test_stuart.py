"""Stuart: documented samples parsed to our model; quote, job, cancel and tracking against a
fake Stuart over real HTTP (replaying its documented bodies); the OAuth token cached and
renewed on a 401; webhooks verified by the header configured in Stuart's dashboard."""

from __future__ import annotations

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
from fulfillment.couriers.adapters.stuart import package_type, parse_job
from fulfillment.couriers.adapters.types import Parcel, ShipmentRequest, TrackingStatus
from tests.fulfillment.couriers.adapters.ondemand_server import running_fake_courier
from tests.support.couriers import FAST_RETRIES, payload, payload_bytes

CLIENT_SECRET = "stuart-client-secret-9d41c0"
HOOK_VALUE = "Bearer stuart-hook-7e2a55"
CREDENTIALS = {
    "client_id": "stuart-client-id",
    "client_secret": CLIENT_SECRET,
    "webhook_auth_header": "Authorization",
    "webhook_auth_value": HOOK_VALUE,
}


@pytest.fixture
def fake_courier():
    yield from running_fake_courier()


NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
REQUEST = ShipmentRequest(
    sender={"name": "Martin Pont", "street": "46 Boulevard Barbès", "city": "Paris",
            "postal_code": "75018", "country": "FR"},
    recipient={"name": "Alex Durand", "street": "156 rue de Charonne", "city": "Paris",
               "postal_code": "75011", "country": "FR"},
    parcels=(Parcel(weight_g=800, length_mm=300, width_mm=200, height_mm=100),),
    service_code="any",
    reference="Order #1234",
    idempotency_key="nbx-m1-order-1234",
)  # fmt: skip


def stuart(courier, **credentials):
    http = CourierHttp(account_id=f"stuart-test-{id(courier)}", policy=FAST_RETRIES)
    return get_adapter(
        "stuart", credentials={**CREDENTIALS, **credentials}, base_url=courier.url, http=http
    )


def with_token(courier):
    courier.on("POST", "/oauth/token", (200, payload_bytes("stuart_oauth_token_response.json")))


# --- documented samples -------------------------------------------------------------------


def test_the_documented_new_job_is_info_received_with_the_dropoff_eta_as_window():
    result = parse_job(payload("stuart_job_response.json"), now=NOW)
    assert result.tracking_number == "146970"
    assert result.status is TrackingStatus.INFO_RECEIVED
    [event] = result.events
    assert event.courier_code == "pending"
    assert event.occurred_at == datetime(2018, 6, 5, 8, 41, 56, tzinfo=UTC)
    eta = datetime(2018, 6, 5, 9, 11, 56, tzinfo=UTC)
    assert (result.estimated_delivery.start, result.estimated_delivery.end) == (eta, eta)


def test_a_job_being_delivered_is_out_for_delivery_from_its_pick_up_time():
    result = parse_job(payload("stuart_job_in_progress_response.json"), now=NOW)
    assert result.status is TrackingStatus.OUT_FOR_DELIVERY
    assert [e.courier_code for e in result.events] == ["pending", "delivering"]
    assert result.events[-1].occurred_at == datetime(2018, 6, 5, 8, 55, 12, tzinfo=UTC)


def test_parsing_the_same_job_twice_gives_the_same_event_ids():
    first = parse_job(payload("stuart_job_in_progress_response.json"), now=NOW)
    later = parse_job(payload("stuart_job_in_progress_response.json"), now=NOW + timedelta(1))
    assert [e.event_id for e in first.events] == [e.event_id for e in later.events]


def test_parcels_get_stuarts_package_size():
    assert package_type(REQUEST.parcels) == "xsmall"
    assert package_type((Parcel(5_000, 450, 300, 300),)) == "medium"
    assert package_type((Parcel(50_000, 2_000, 300, 300),)) == "xlarge"


# --- quote, job, cancel, tracking over HTTP -----------------------------------------------


def test_a_quote_prices_the_job_in_minor_units_with_one_cached_token(fake_courier):
    with_token(fake_courier)
    fake_courier.on(
        "POST", "/v2/jobs/pricing", (200, payload_bytes("stuart_job_pricing_response.json"))
    )
    fake_courier.on("POST", "/v2/jobs/eta", (200, payload_bytes("stuart_job_eta_response.json")))
    adapter = stuart(fake_courier)
    before = datetime.now(UTC)
    [quote] = adapter.quote(REQUEST)
    adapter.quote(REQUEST)
    assert (quote.courier, quote.service_code) == ("stuart", "same-day")
    assert (quote.price_minor, quote.currency) == (1150, "EUR")
    assert before + timedelta(seconds=672) <= quote.estimated_delivery.start
    assert quote.estimated_delivery.start < datetime.now(UTC) + timedelta(seconds=673)
    [token] = fake_courier.requests("POST", "/oauth/token")  # one token for both quotes
    assert token.form() == {"grant_type": "client_credentials", "client_id": "stuart-client-id",
                            "client_secret": CLIENT_SECRET, "scope": "api"}  # fmt: skip
    pricing = fake_courier.requests("POST", "/v2/jobs/pricing")
    assert len(pricing) == 2
    assert (
        pricing[0].headers["authorization"]
        == "Bearer " + payload("stuart_oauth_token_response.json")["access_token"]
    )
    job = pricing[0].json()["job"]
    assert job["pickups"][0]["address"] == "46 Boulevard Barbès, 75018 Paris, FR"
    assert job["dropoffs"][0]["contact"] == {"firstname": "Alex", "lastname": "Durand"}
    assert job["dropoffs"][0]["package_type"] == "xsmall"


def test_a_revoked_token_is_renewed_once_and_the_call_repeated(fake_courier):
    with_token(fake_courier)
    fake_courier.on(
        "POST", "/v2/jobs/pricing",
        (401, b'{"error": "invalid_grant", "message": "The access token is invalid"}'),
        (200, payload_bytes("stuart_job_pricing_response.json")),
    )  # fmt: skip
    fake_courier.on("POST", "/v2/jobs/eta", (200, payload_bytes("stuart_job_eta_response.json")))
    [quote] = stuart(fake_courier).quote(REQUEST)
    assert quote.price_minor == 1150
    assert len(fake_courier.requests("POST", "/oauth/token")) == 2
    assert len(fake_courier.requests("POST", "/v2/jobs/pricing")) == 2


def test_two_accounts_never_share_a_token(fake_courier):
    with_token(fake_courier)
    fake_courier.on(
        "POST", "/v2/jobs/pricing", (200, payload_bytes("stuart_job_pricing_response.json"))
    )
    fake_courier.on("POST", "/v2/jobs/eta", (200, payload_bytes("stuart_job_eta_response.json")))
    for account_id in ("courier-account-1", "courier-account-2", "courier-account-1"):
        http = CourierHttp(account_id=account_id, policy=FAST_RETRIES)
        adapter = get_adapter(
            "stuart", credentials=CREDENTIALS, base_url=fake_courier.url, http=http
        )
        adapter.quote(REQUEST)
    assert len(fake_courier.requests("POST", "/oauth/token")) == 2  # one per account


def test_refused_credentials_are_a_rejection_that_does_not_repeat_the_secret(fake_courier):
    fake_courier.on(
        "POST", "/oauth/token", (401, payload_bytes("stuart_oauth_error_invalid_client.json"))
    )
    with pytest.raises(CourierRejected) as refused:
        stuart(fake_courier).quote(REQUEST)
    assert refused.value.status_code == 401 and refused.value.courier_code == "invalid_client"
    assert CLIENT_SECRET not in str(refused.value)
    assert not fake_courier.requests("POST", "/v2/jobs/pricing")


def test_creating_a_job_gives_its_id_as_tracking_number_and_courier_reference(fake_courier):
    with_token(fake_courier)
    fake_courier.on("POST", "/v2/jobs", (201, payload_bytes("stuart_job_response.json")))
    created = stuart(fake_courier).create_shipment(REQUEST)
    assert (created.tracking_number, created.courier_reference) == ("146970", "146970")
    assert created.label is None  # Stuart prints no label: Nearbox renders its own
    [sent] = fake_courier.requests("POST", "/v2/jobs")
    assert sent.json()["job"]["dropoffs"][0]["client_reference"] == "nbx-m1-order-1234"


def test_a_retried_booking_finds_the_job_the_first_attempt_made(fake_courier):
    with_token(fake_courier)
    fake_courier.on(
        "POST", "/v2/jobs",
        (422, b'{"error": "RECORD_INVALID", "message": "Record invalid", '
              b'"data": {"client_reference": ["has already been taken"]}}'),
    )  # fmt: skip
    job = payload_bytes("stuart_job_response.json")
    fake_courier.on("GET", "/v2/jobs", (200, b"[" + job + b"]"))
    created = stuart(fake_courier).create_shipment(REQUEST)
    assert created.courier_reference == "146970"
    [lookup] = fake_courier.requests("GET", "/v2/jobs")
    assert lookup.query == {"client_reference": ["nbx-m1-order-1234"]}


def test_a_job_stuart_refuses_is_a_rejection_in_stuarts_words(fake_courier):
    with_token(fake_courier)
    fake_courier.on("POST", "/v2/jobs", (422, payload_bytes("stuart_error_record_invalid.json")))
    fake_courier.on("GET", "/v2/jobs", (200, b"[]"))
    with pytest.raises(CourierRejected) as refused:
        stuart(fake_courier).create_shipment(REQUEST)
    assert refused.value.courier_code == "RECORD_INVALID"
    assert "ADDRESS_NOT_IN_ZONE" in str(refused.value)


def test_cancel_posts_to_the_jobs_cancel_and_an_unknown_job_is_not_found(fake_courier):
    with_token(fake_courier)
    fake_courier.on("POST", "/v2/jobs/146970/cancel", (200, b""))
    fake_courier.on(
        "POST", "/v2/jobs/999/cancel", (404, payload_bytes("stuart_error_job_not_found.json"))
    )
    adapter = stuart(fake_courier)
    adapter.cancel("146970")
    assert len(fake_courier.requests("POST", "/v2/jobs/146970/cancel")) == 1
    with pytest.raises(TrackingNotFound):
        adapter.cancel("999")


def test_tracking_gets_the_job_and_an_unknown_one_is_its_own_error(fake_courier):
    with_token(fake_courier)
    fake_courier.on(
        "GET", "/v2/jobs/146970", (200, payload_bytes("stuart_job_in_progress_response.json"))
    )
    fake_courier.on("GET", "/v2/jobs/1", (404, payload_bytes("stuart_error_job_not_found.json")))
    results = stuart(fake_courier).track(["146970", "1", "../admin"])
    assert results["146970"].status is TrackingStatus.OUT_FOR_DELIVERY
    assert isinstance(results["1"], TrackingNotFound)
    assert isinstance(results["../admin"], TrackingNotFound)
    assert not fake_courier.requests("GET", r"/v2/jobs/\.\./admin")


# --- webhooks -------------------------------------------------------------------------------


def hook(name: str, headers=None):
    adapter = get_adapter("stuart", credentials=CREDENTIALS)
    return adapter.parse_webhook_update(
        payload_bytes(name), {"Authorization": HOOK_VALUE} if headers is None else headers
    )


def test_the_documented_driver_webhook_is_a_position_of_the_job():
    update = hook("stuart_webhook_driver_update.json")
    [position] = update.positions
    assert position.reference == "146970"
    assert (position.latitude, position.longitude) == (48.85559, 2.36014)
    assert (position.courier_name, position.vehicle) == ("Brannon", "car")
    assert position.eta_at == datetime(2018, 7, 24, 14, 55, 12, tzinfo=UTC)
    assert position.arriving is False
    assert not update.events
    assert update.nonce.startswith("stuart:body:")


def test_the_documented_job_webhook_is_an_event_and_arriving_is_kept():
    [event] = hook("stuart_webhook_job_update.json").events
    assert event.tracking_number == "146970"
    assert event.status is TrackingStatus.OUT_FOR_DELIVERY
    assert (event.courier_code, event.courier_description) == (
        "almost_delivering",
        "Courier arriving",
    )


def test_a_delivery_webhook_carries_no_job_id_and_stores_nothing():
    update = hook("stuart_webhook_delivery_update.json")
    assert (update.events, update.positions) == ((), ())


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer nope"}, {"X-Other": HOOK_VALUE}],
    ids=["unsigned", "wrong value", "other header"],
)  # fmt: skip
def test_a_webhook_without_the_configured_header_is_refused(headers):
    with pytest.raises(WebhookRejected):
        hook("stuart_webhook_driver_update.json", headers)


def test_the_header_name_is_the_one_configured():
    adapter = get_adapter(
        "stuart", credentials={**CREDENTIALS, "webhook_auth_header": "X-Stuart-Key"}
    )
    body = payload_bytes("stuart_webhook_driver_update.json")
    assert adapter.parse_webhook_update(body, {"x-stuart-key": HOOK_VALUE}).positions
    with pytest.raises(WebhookRejected):
        adapter.parse_webhook_update(body, {"Authorization": HOOK_VALUE})


def test_an_account_without_a_webhook_value_refuses_every_webhook():
    adapter = get_adapter("stuart", credentials={**CREDENTIALS, "webhook_auth_value": ""})
    with pytest.raises(WebhookRejected):
        adapter.parse_webhook_update(
            payload_bytes("stuart_webhook_driver_update.json"), {"Authorization": ""}
        )


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"event": "driver"}',
        b"\xff\xfe",
        b"[" * 100_000,
        json.dumps({"event": "driver", "type": "update",
                    "data": {"latitude": 95.0, "longitude": 2.3, "job": {"id": 1}}}).encode(),
        json.dumps({"event": "driver", "type": "update",
                    "data": {"latitude": "48.8", "longitude": 2.3, "job": {"id": 1}}}).encode(),
        b'{"event": "driver", "type": "update",'
        b' "data": {"latitude": NaN, "longitude": 2, "job": {"id": 1}}}',
    ],
    ids=["text", "list", "no data", "not utf-8", "deep", "off earth", "string lat", "NaN"],
)  # fmt: skip
def test_a_malformed_webhook_is_malformed_not_a_crash(body):
    adapter = get_adapter("stuart", credentials=CREDENTIALS)
    with pytest.raises(MalformedResponse):
        adapter.parse_webhook_update(body, {"Authorization": HOOK_VALUE})
