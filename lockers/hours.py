"""Opening hours ({"mon": [["09:00", "18:00"]], ...}) in the merchant's local time."""

from __future__ import annotations

import datetime as dt

from merchant.models.points import WEEKDAYS


def _time(text: str) -> dt.time:
    return dt.time.max if text == "24:00" else dt.time.fromisoformat(text)


def periods_on(hours: dict, day: dt.date) -> list[tuple[dt.time, dt.time]] | None:
    """The day's open periods; None when the hours do not mention the day."""
    periods = hours.get(WEEKDAYS[day.weekday()])
    if periods is None:
        return None
    return sorted((_time(a), _time(b)) for a, b in periods)


def is_open(hours: dict, always: bool, at: dt.datetime) -> bool | None:
    """Open at local time `at`; None when no hours are recorded."""
    if always:
        return True
    if not hours:
        return None
    periods = periods_on(hours, at.date()) or []
    return any(opens <= at.time() < closes for opens, closes in periods)


def next_open(hours: dict, always: bool, at: dt.datetime) -> dt.datetime:
    """The first moment at or after local time `at` when the place is open (or `at` itself
    when its hours are unknown or it never opens within a week)."""
    if always or not hours:
        return at
    for offset in range(8):
        day = at.date() + dt.timedelta(days=offset)
        for opens, closes in periods_on(hours, day) or []:
            start = dt.datetime.combine(day, opens, tzinfo=at.tzinfo)
            end = dt.datetime.combine(day, closes, tzinfo=at.tzinfo)
            if at < end:
                return max(at, start)
    return at
