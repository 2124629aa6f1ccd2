"""Opening hours are read in one place (merchant.hours): "24:00" is the end of the day, a night
past midnight is two periods, a day left out or [] is closed, and routing, rate shopping and the
pickup network all agree."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from fulfillment.couriers.services.rates import Origin, pickup_at
from fulfillment.orders.services.routing import same_day_refusal
from merchant.hours import END_OF_DAY, closing_time, format_time, is_open, next_open, periods_on
from merchant.models import StoragePoint
from tests.support.rates import service_entry

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
MONDAY = dt.date(2025, 6, 2)
LATE = {"mon": [["16:00", "24:00"]], "tue": [["00:00", "02:00"], ["16:00", "24:00"]], "sun": []}


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CHICAGO)


def test_twenty_four_hundred_closes_at_the_end_of_the_day():
    assert periods_on(LATE, MONDAY) == [(dt.time(16), END_OF_DAY)]
    assert closing_time(LATE, MONDAY) == END_OF_DAY
    assert format_time(closing_time(LATE, MONDAY)) == "24:00"
    assert is_open(LATE, False, at(MONDAY, 23, 59)) is True


def test_a_night_past_midnight_is_open_on_both_sides_of_it():
    tuesday = MONDAY + dt.timedelta(days=1)
    assert is_open(LATE, False, at(tuesday, 1, 30)) is True
    assert is_open(LATE, False, at(tuesday, 2, 0)) is False
    assert next_open(LATE, False, at(tuesday, 3)) == at(tuesday, 16)


def test_a_day_left_out_or_empty_is_closed_and_no_hours_means_no_restriction():
    sunday, saturday = MONDAY + dt.timedelta(days=6), MONDAY + dt.timedelta(days=5)
    assert closing_time(LATE, sunday) is False
    assert closing_time(LATE, saturday) is False
    assert is_open(LATE, False, at(saturday, 12)) is False
    assert closing_time({}, sunday) is None
    assert is_open({}, False, at(sunday, 12)) is None
    assert is_open({}, True, at(sunday, 12)) is True


def test_unreadable_periods_are_skipped_rather_than_failing():
    hours = {"mon": [["9am", "18:00"], ["10:00"], "x", ["12:00", "25:00"], ["13:00", "17:00"]]}
    assert periods_on(hours, MONDAY) == [(dt.time(13), dt.time(17))]
    assert closing_time({"mon": "closed"}, MONDAY) is False


def test_routing_lets_a_point_open_until_midnight_ship_same_day_in_the_evening():
    point = StoragePoint(name="Night hub", same_day_cutoff=dt.time(22), opening_hours=LATE)
    assert same_day_refusal(point, at(MONDAY, 20)) == ""
    assert "closed today" in same_day_refusal(point, at(MONDAY + dt.timedelta(days=6), 20))


def test_rate_shopping_picks_up_today_from_a_point_open_until_midnight():
    origin = Origin(1, "Night hub", 41.88, -87.63, None, LATE, {})
    service = service_entry(level="next_day", pickup_cutoff=dt.time(21))
    pickup, why = pickup_at(service, origin, at(MONDAY, 18))
    assert why == ""
    assert pickup == at(MONDAY, 21)


def test_pages_and_messages_show_the_week_as_the_reader_reads_it():
    from merchant.hours import week_rows, week_text

    hours = {"mon": [["09:00", "18:00"]], "sat": [["20:00", "24:00"]], "sun": []}
    rows = dict(week_rows(hours))
    # A day left out of set hours is closed for routing, so the page says so (not "Not set").
    assert rows == {
        "Monday": "09:00–18:00",
        "Tuesday": "Closed",
        "Wednesday": "Closed",
        "Thursday": "Closed",
        "Friday": "Closed",
        "Saturday": "20:00–24:00",
        "Sunday": "Closed",
    }
    assert week_rows({}) == [("Hours", "Not set")]
    assert week_rows(hours, always=True) == [("Every day", "Open 24/7")]
    assert week_text(hours) == "Mon 09:00–18:00; Sat 20:00–24:00"
    assert week_text(None) == ""
    assert week_text(hours, always=True) == "Open 24/7"


def test_pages_and_messages_skip_unreadable_periods_as_the_reader_does():
    from merchant.hours import week_rows, week_text

    hours = {
        "mon": "09:00-18:00",
        "tue": [["09:00", "12:00", "extra"], ["13:00", "17:00"]],
        "wed": [["14:00", "18:00"], ["09:00", "12:00"]],
    }
    rows = dict(week_rows(hours))
    assert rows["Monday"] == "Closed"
    assert rows["Tuesday"] == "13:00–17:00"
    assert rows["Wednesday"] == "09:00–12:00, 14:00–18:00"
    assert week_text(hours) == "Tue 13:00–17:00; Wed 09:00–12:00, 14:00–18:00"
