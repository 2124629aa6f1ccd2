"""The shared HTTP layer against the real sandbox server with each fault switched on."""

import logging
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from fulfillment.couriers.adapters import get_adapter
from fulfillment.couriers.adapters.errors import (
    CourierRejected,
    CourierUnavailable,
    MalformedResponse,
)
from fulfillment.couriers.adapters.http import CourierHttp, RetryPolicy, parse_retry_after
from fulfillment.couriers.adapters.types import Parcel, ShipmentRequest, TrackingStatus
from tests.support.couriers import ADDRESS_FROM, ADDRESS_TO, FAST_RETRIES, SANDBOX_KEY

REQUEST = ShipmentRequest(
    sender=ADDRESS_FROM,
    recipient=ADDRESS_TO,
    parcels=(Parcel(800, 250, 150, 80),),
    service_code="next-day",
    reference="ORD-7",
    idempotency_key="order-7-shipment",
)


@pytest.fixture
def adapter(fresh_sandbox, sandbox_http):
    def make(**policy):
        return get_adapter(
            "sandbox",
            credentials={"api_key": SANDBOX_KEY},
            base_url=fresh_sandbox.url,
            http=sandbox_http(**policy),
        )

    return make


def delivered_number(adapter) -> str:
    number = adapter().create_shipment(REQUEST).tracking_number
    time.sleep(1.2)  # a day on the sandbox's clock
    return number


def test_5xx_answers_are_retried_until_the_courier_answers(fresh_sandbox, adapter):
    number = adapter().create_shipment(REQUEST).tracking_number
    fresh_sandbox.reset()
    fresh_sandbox.faults(http_5xx={"count": 2, "status": 503})
    result = adapter().track([number])[number]
    assert result.tracking_number == number
    assert fresh_sandbox.stats()["GET /track"] == 3


def test_429_waits_as_long_as_retry_after_says(fresh_sandbox):
    waits: list[float] = []  # the pauses the layer asks for, instead of sleeping them
    http = CourierHttp(account_id="sandbox-test", policy=FAST_RETRIES, sleep=waits.append)
    sandbox = get_adapter(
        "sandbox", credentials={"api_key": SANDBOX_KEY}, base_url=fresh_sandbox.url, http=http
    )
    try:
        number = sandbox.create_shipment(REQUEST).tracking_number
        fresh_sandbox.faults(http_429={"count": 1, "retry_after_s": 1})
        result = sandbox.track([number])[number]
    finally:
        http.close()
    assert result.tracking_number == number
    assert waits == [1.0]  # Retry-After honoured, not the 10 ms backoff
    assert fresh_sandbox.stats()["GET /track"] == 2


def test_5xx_that_never_ends_is_courier_unavailable_after_max_attempts(fresh_sandbox, adapter):
    fresh_sandbox.faults(http_5xx={"count": 50, "status": 502})
    error = adapter(max_attempts=3).track(["SBX1"])["SBX1"]
    assert isinstance(error, CourierUnavailable)
    assert "502 after 3 attempt" in str(error)
    assert fresh_sandbox.stats()["GET /track"] == 3


def test_a_timeout_is_retried_and_then_succeeds(fresh_sandbox, adapter):
    number = adapter().create_shipment(REQUEST).tracking_number
    fresh_sandbox.faults(timeout={"count": 1, "sleep_s": 1.5})
    result = adapter(read_timeout_s=0.4).track([number])[number]
    assert result.tracking_number == number


def test_timeouts_on_every_attempt_are_courier_unavailable(fresh_sandbox, adapter):
    fresh_sandbox.faults(timeout={"count": 3, "sleep_s": 1.0})
    error = adapter(read_timeout_s=0.3, max_attempts=2).track(["SBX1"])["SBX1"]
    assert isinstance(error, CourierUnavailable)
    assert "timed out" in str(error)


def test_a_truncated_body_every_time_is_a_malformed_response(fresh_sandbox, adapter):
    number = adapter().create_shipment(REQUEST).tracking_number
    fresh_sandbox.faults(truncated={"count": 10})
    error = adapter(max_attempts=2).track([number])[number]
    assert isinstance(error, MalformedResponse)
    assert "truncated" in str(error)


def test_malformed_json_is_a_malformed_response(fresh_sandbox, adapter):
    number = adapter().create_shipment(REQUEST).tracking_number
    fresh_sandbox.faults(malformed={"count": 1})
    assert isinstance(adapter().track([number])[number], MalformedResponse)


def test_duplicate_events_are_returned_as_such_with_the_same_event_id(fresh_sandbox, adapter):
    number = delivered_number(adapter)
    fresh_sandbox.faults(duplicate_events=True)
    result = adapter().track([number])[number]
    assert len(result.events) == 2 * len(result.unique_events) == 2 * 7
    assert result.events[0].event_id == result.events[1].event_id


def test_out_of_order_events_still_give_the_journey_in_time_order(fresh_sandbox, adapter):
    number = delivered_number(adapter)
    fresh_sandbox.faults(out_of_order_events=True)
    result = adapter().track([number])[number]
    stamps = [e["timestamp"] for e in result.raw["events"]]
    assert stamps != sorted(stamps, reverse=True)  # not DHL's newest-first any more
    assert [e.occurred_at for e in result.events] == sorted(e.occurred_at for e in result.events)
    assert result.status is TrackingStatus.DELIVERED


def test_a_post_with_idempotency_key_is_retried_without_a_second_shipment(fresh_sandbox, adapter):
    first = adapter().create_shipment(REQUEST)
    fresh_sandbox.reset()
    fresh_sandbox.faults(http_5xx={"count": 1})
    again = adapter().create_shipment(REQUEST)
    assert again.tracking_number == first.tracking_number
    assert fresh_sandbox.stats()["POST /shipments"] == 2


def test_a_post_without_idempotency_key_is_not_repeated_after_a_5xx(fresh_sandbox, sandbox_http):
    fresh_sandbox.faults(http_5xx={"count": 1})
    with pytest.raises(CourierUnavailable):
        sandbox_http().request(
            "POST",
            f"{fresh_sandbox.url}/rates",
            courier="sandbox",
            headers={"DHL-API-Key": SANDBOX_KEY},
            json_body={},
        )
    assert fresh_sandbox.stats()["POST /rates"] == 1


def test_a_wrong_api_key_is_a_401_rejection(fresh_sandbox, sandbox_http):
    adapter = get_adapter(
        "sandbox", credentials={"api_key": "wrong"}, base_url=fresh_sandbox.url, http=sandbox_http()
    )
    error = adapter.track(["SBX1"])["SBX1"]
    assert isinstance(error, CourierRejected) and error.status_code == 401


def test_credentials_never_reach_logs_or_errors(fresh_sandbox, sandbox_http, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    secret = "s3cr3t-courier-key-42"
    fresh_sandbox.faults(http_5xx={"count": 3})
    http = sandbox_http(max_attempts=3)
    with pytest.raises(CourierUnavailable) as failure:
        # A courier that wants its key in the query string, the worst case for logs.
        http.request(
            "GET",
            f"{fresh_sandbox.url}/track/shipments",
            courier="sandbox",
            secrets=[secret, SANDBOX_KEY],
            params={"trackingNumber": "SBX1", "apikey": secret},
            headers={"DHL-API-Key": SANDBOX_KEY},
        )
    adapter = get_adapter(
        "sandbox", credentials={"api_key": secret}, base_url=fresh_sandbox.url, http=http
    )
    rejected = adapter.track(["SBX1"])["SBX1"]
    assert "retrying" in caplog.text and "[redacted]" in caplog.text
    for text in (caplog.text, str(failure.value), repr(failure.value), str(rejected)):
        assert secret not in text and SANDBOX_KEY not in text


def test_retry_after_as_an_http_date_is_understood_and_capped():
    now = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after(format_datetime(now + timedelta(seconds=7), usegmt=True), now=now) == 7
    assert parse_retry_after("3") == 3
    assert parse_retry_after("soon") is None

    waits: list[float] = []
    answers = iter([httpx.Response(503, headers={"Retry-After": "120"}), httpx.Response(200)])
    http = CourierHttp(
        account_id="t",
        policy=RetryPolicy(retry_after_cap_s=2.5),
        transport=httpx.MockTransport(lambda request: next(answers)),
        sleep=waits.append,
    )
    assert http.request("GET", "https://courier.test/x", courier="t").status_code == 200
    assert waits == [2.5]
