from datetime import UTC, datetime, timedelta, timezone

import httpx

from fulfillment.couriers.adapters import get_adapter
from fulfillment.couriers.adapters.errors import CourierRejected
from fulfillment.couriers.adapters.types import TrackingStatus
from tests.support.couriers import payload_bytes, replay_http

NUMBER = "090367574000000FE1E1B"


def track(status: int, file: str, seen: list[httpx.Request]):
    adapter = get_adapter(
        "royalmail",
        credentials={"client_id": "rm-id-123456", "client_secret": "rm-secret-abcdef"},
        http=replay_http({r"/mailpieces/v2/.+/events$": (status, payload_bytes(file))}, seen),
    )
    return adapter.track([NUMBER])[NUMBER]


def test_documented_events_keep_the_royal_mail_code_and_name():
    seen: list[httpx.Request] = []
    result = track(200, "royalmail_mailpieces_v2_events_response.json", seen)
    [event] = result.events
    assert event.courier_code == "EVNMI"
    assert event.courier_description == "Forwarded - Mis-sort"
    assert event.status is TrackingStatus.IN_TRANSIT
    assert event.location == "Stafford DO"
    assert event.occurred_at == datetime(2016, 10, 20, 9, 4, tzinfo=UTC)
    assert seen[0].headers["X-IBM-Client-Id"] == "rm-id-123456"
    assert seen[0].headers["X-Accept-RMG-Terms"] == "yes"


def test_royal_mail_estimated_window_keeps_its_offset():
    seen: list[httpx.Request] = []
    window = track(200, "royalmail_mailpieces_v2_events_response.json", seen).estimated_delivery
    bst = timezone(timedelta(hours=1))
    assert window.start == datetime(2017, 2, 20, 8, 0, tzinfo=bst)
    assert window.end == datetime(2017, 2, 20, 11, 0, tzinfo=bst)


def test_documented_400_error_is_a_rejection_naming_the_failed_header():
    seen: list[httpx.Request] = []
    error = track(400, "royalmail_tracking_error_400.json", seen)
    assert isinstance(error, CourierRejected)
    assert error.courier_code == "E0004"
    assert "Failed header validation for X-Accept-RMG-Terms" in str(error)
