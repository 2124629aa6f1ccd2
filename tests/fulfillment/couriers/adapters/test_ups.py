import logging
from datetime import UTC, datetime

import httpx

from fulfillment.couriers.adapters import get_adapter
from fulfillment.couriers.adapters.errors import CourierRejected, TrackingNotFound
from fulfillment.couriers.adapters.types import TrackingStatus
from tests.support.couriers import payload_bytes, replay_http

CLIENT_SECRET = "ups-client-secret-91ab"
TOKEN = b'{"access_token": "ups-token-5c2d8e", "expires_in": "14399", "token_type": "Bearer"}'
NUMBER = "1Z023E2X0214323462"


def adapter_with(details_status: int, details_file: str, seen: list[httpx.Request]):
    routes = {
        r"/oauth/token$": (200, TOKEN),
        r"/api/track/v1/details/": (details_status, payload_bytes(details_file)),
    }
    return get_adapter(
        "ups",
        credentials={"client_id": "ups-client-id-1234", "client_secret": CLIENT_SECRET},
        http=replay_http(routes, seen),
    )


def test_documented_details_become_events_with_the_ups_code_and_text_kept():
    seen: list[httpx.Request] = []
    result = adapter_with(200, "ups_track_v1_details_response.json", seen).track([NUMBER])[NUMBER]
    [event] = result.events
    assert event.courier_code == "SR"
    assert event.courier_description == "Your package was released by the customs agency."
    assert event.status is TrackingStatus.EXCEPTION  # type X in UPS's table
    assert event.occurred_at == datetime(2021, 2, 10, 7, 13, 56, tzinfo=UTC)
    assert event.location == "Wayne, NJ, 07470, US"
    assert seen[-1].url.path == f"/api/track/v1/details/{NUMBER}"
    assert seen[-1].headers["Authorization"] == "Bearer ups-token-5c2d8e"


def test_the_oauth_token_is_fetched_once_for_several_tracks():
    seen: list[httpx.Request] = []
    adapter = adapter_with(200, "ups_track_v1_details_response.json", seen)
    adapter.track([NUMBER, NUMBER + "X"])
    assert [r.url.path for r in seen].count("/security/v1/oauth/token") == 1


def test_warning_tw0001_in_a_200_answer_is_tracking_not_found():
    seen: list[httpx.Request] = []
    result = adapter_with(200, "ups_track_warning_not_found.json", seen).track([NUMBER])[NUMBER]
    assert isinstance(result, TrackingNotFound)
    assert "TW0001 Tracking Information Not Found" in str(result)


def test_invalid_inquiry_error_is_a_rejection_with_the_ups_code(caplog):
    caplog.set_level(logging.DEBUG)
    seen: list[httpx.Request] = []
    result = adapter_with(400, "ups_track_error_invalid_inquiry.json", seen).track(["bad"])["bad"]
    assert isinstance(result, CourierRejected) and not isinstance(result, TrackingNotFound)
    assert result.courier_code == "TV1002"
    assert "Invalid inquiry number" in str(result)
    assert CLIENT_SECRET not in caplog.text and "ups-token-5c2d8e" not in caplog.text
