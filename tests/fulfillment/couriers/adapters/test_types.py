from datetime import UTC, datetime, timedelta

import pytest

from fulfillment.couriers.adapters.types import (
    TrackingEvent,
    TrackingResult,
    TrackingStatus,
    make_event_id,
)

S = TrackingStatus
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def event(status: TrackingStatus, minutes: int, code: str = "x") -> TrackingEvent:
    at = T0 + timedelta(minutes=minutes)
    return TrackingEvent(
        tracking_number="T1",
        status=status,
        occurred_at=at,
        courier_code=code,
        courier_description=code,
        event_id=make_event_id("test", "T1", code, at),
    )


def test_status_never_moves_back_to_a_lower_rank():
    assert S.OUT_FOR_DELIVERY.advance(S.IN_TRANSIT) is S.OUT_FOR_DELIVERY
    assert S.DELIVERED.advance(S.OUT_FOR_DELIVERY) is S.DELIVERED
    assert S.IN_TRANSIT.advance(S.OUT_FOR_DELIVERY) is S.OUT_FOR_DELIVERY


def test_failed_attempt_and_out_for_delivery_may_alternate():
    assert S.FAILED_ATTEMPT.advance(S.OUT_FOR_DELIVERY) is S.OUT_FOR_DELIVERY
    assert S.OUT_FOR_DELIVERY.advance(S.FAILED_ATTEMPT) is S.FAILED_ATTEMPT


def test_an_exception_interrupts_any_status_but_a_final_one():
    assert S.OUT_FOR_DELIVERY.advance(S.EXCEPTION) is S.EXCEPTION
    assert S.EXCEPTION.advance(S.IN_TRANSIT) is S.IN_TRANSIT
    assert S.DELIVERED.advance(S.EXCEPTION) is S.DELIVERED


def test_result_sorts_events_and_takes_the_status_of_the_journey():
    events = [event(S.DELIVERED, 30, "d"), event(S.INFO_RECEIVED, 0, "i"), event(S.IN_TRANSIT, 40)]
    result = TrackingResult.from_events("T1", events)
    assert [e.courier_code for e in result.events] == ["i", "d", "x"]
    # A late "in transit" scan after delivery does not undo the delivery.
    assert result.status is S.DELIVERED


def test_result_keeps_duplicates_but_lists_each_event_once_in_unique_events():
    twice = event(S.IN_TRANSIT, 5)
    result = TrackingResult.from_events("T1", [twice, twice])
    assert len(result.events) == 2
    assert result.unique_events == (twice,)


def test_event_id_is_stable_and_differs_when_what_happened_differs():
    assert make_event_id("dhl", "T1", "transit", T0, "Amsterdam") == make_event_id(
        "dhl", "T1", "transit", T0.astimezone(), "Amsterdam"
    )
    assert make_event_id("dhl", "T1", "transit", T0, "Amsterdam") != make_event_id(
        "dhl", "T1", "transit", T0, "Utrecht"
    )


def test_an_event_time_without_time_zone_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        TrackingEvent("T1", S.PENDING, datetime(2025, 1, 1), "c", "d")
