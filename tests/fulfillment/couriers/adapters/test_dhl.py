from datetime import UTC, datetime

import httpx

from fulfillment.couriers.adapters import get_adapter
from fulfillment.couriers.adapters.errors import (
    CourierRejected,
    MalformedResponse,
    TrackingNotFound,
)
from fulfillment.couriers.adapters.types import TrackingStatus
from tests.support.couriers import payload_bytes, replay_http

API_KEY = "dhl-secret-0e5b7a"
SAMPLE = {r"/track/shipments$": (200, payload_bytes("dhl_universal_tracking_response.json"))}


def track(routes, number="7777777770"):
    seen: list[httpx.Request] = []
    adapter = get_adapter("dhl", credentials={"api_key": API_KEY}, http=replay_http(routes, seen))
    return adapter.track([number])[number], seen


def test_documented_response_becomes_one_normalised_event_with_dhl_words_kept():
    result, seen = track(
        {r"/track/shipments$": (200, payload_bytes("dhl_universal_tracking_response.json"))}
    )
    assert seen[0].headers["DHL-API-Key"] == API_KEY
    assert seen[0].url.params["trackingNumber"] == "7777777770"
    [event] = result.events
    # statusCode says pre-transit while the text says DELIVERED: the code is trusted.
    assert event.status is TrackingStatus.INFO_RECEIVED
    assert result.status is TrackingStatus.INFO_RECEIVED
    assert event.courier_code == "pre-transit"
    assert event.courier_description == "DELIVERED / JESSICA"
    assert event.location == "Oderweg 2, AMSTERDAM, 1043 AG, NL"
    assert event.occurred_at == datetime(2018, 3, 2, 7, 53, 47, tzinfo=UTC)
    assert event.event_id.startswith("dhl:")


def test_dhl_estimated_delivery_time_frame_becomes_the_window():
    result, _ = track(
        {r"/track/shipments$": (200, payload_bytes("dhl_universal_tracking_response.json"))}
    )
    assert result.estimated_delivery.start == datetime(2018, 8, 3, tzinfo=UTC)
    assert result.estimated_delivery.end == datetime(2018, 8, 3, 22, tzinfo=UTC)


def test_documented_404_problem_is_tracking_not_found_with_dhl_detail():
    error, _ = track(
        {r"/track/shipments$": (404, payload_bytes("dhl_universal_tracking_error_404.json"))},
        number="8264715546",
    )
    assert isinstance(error, TrackingNotFound)
    assert "No shipment with given tracking number found" in str(error)


def test_a_refused_key_is_a_rejection_that_does_not_repeat_the_key():
    body = b'{"title": "Unauthorized", "status": 401, "detail": "Invalid API key"}'
    error, _ = track({r"/track/shipments$": (401, body)})
    assert isinstance(error, CourierRejected) and not isinstance(error, TrackingNotFound)
    assert error.status_code == 401
    assert API_KEY not in str(error)


def test_a_body_that_is_not_json_is_a_malformed_response():
    error, _ = track({r"/track/shipments$": (200, b'{"shipments": [')})
    assert isinstance(error, MalformedResponse)


def test_a_shipment_missing_from_the_answer_is_not_found_for_that_number():
    result, _ = track(
        {r"/track/shipments$": (200, payload_bytes("dhl_universal_tracking_response.json"))},
        number="123",
    )
    assert isinstance(result, TrackingNotFound)
