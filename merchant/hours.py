"""Opening hours, the one reader of them for storage points, pickup places and couriers.

Hours are stored per weekday as [open, close] pairs in local time, e.g.
{"mon": [["09:00", "18:00"]], "sat": [["20:00", "24:00"]], "sun": []}. "24:00" closes at the
end of the day; a night that runs past midnight is two periods ("20:00"-"24:00" then
"00:00"-"02:00" the next day). A day with [] or left out is closed; no hours at all means no
restriction. Periods that cannot be read are skipped rather than failing a checkout.
"""

from __future__ import annotations

import datetime as dt

from merchant.models.points import WEEKDAYS

# "24:00": the last instant of the day, so that `time < END_OF_DAY` holds all day long.
END_OF_DAY = dt.time.max

Period = tuple[dt.time, dt.time]


def parse_time(text: object) -> dt.time | None:
    """ "HH:MM" as a time ("24:00" is END_OF_DAY); None when it is not one."""
    if text == "24:00":
        return END_OF_DAY
    if not isinstance(text, str):
        return None
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        return None


def format_time(value: dt.time) -> str:
    """ "HH:MM", with END_OF_DAY written as "24:00" (not 23:59)."""
    return "24:00" if value == END_OF_DAY else f"{value:%H:%M}"


def periods_on(hours: dict | None, day: dt.date) -> list[Period] | None:
    """The day's open periods, sorted; None when the hours do not mention the day."""
    return _periods_of(hours, WEEKDAYS[day.weekday()])


def _periods_of(hours: dict | None, weekday: str) -> list[Period] | None:
    """The readable, sorted periods stored for `weekday` ("mon"…); None when it is left out."""
    periods = (hours or {}).get(weekday)
    if periods is None:
        return None
    parsed = []
    for pair in periods if isinstance(periods, list) else []:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            continue
        opens, closes = parse_time(pair[0]), parse_time(pair[1])
        if opens is not None and closes is not None and opens < closes:
            parsed.append((opens, closes))
    return sorted(parsed)


def closing_time(hours: dict | None, day: dt.date) -> dt.time | bool | None:
    """The day's last closing time; False when closed that day, None when no hours are
    recorded (no restriction)."""
    if not hours:
        return None
    periods = periods_on(hours, day)
    return max(closes for _, closes in periods) if periods else False


def is_open(hours: dict | None, always: bool, at: dt.datetime) -> bool | None:
    """Open at local time `at`; None when no hours are recorded."""
    if always:
        return True
    if not hours:
        return None
    return any(opens <= at.time() < closes for opens, closes in periods_on(hours, at.date()) or [])


def next_open(hours: dict | None, always: bool, at: dt.datetime) -> dt.datetime:
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


DAY_NAMES = dict(
    zip(
        WEEKDAYS,
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
        strict=True,
    )
)


def _periods_text(hours: dict | None, weekday: str) -> str:
    """The day's readable periods as "09:00–12:00, 13:00–18:00"; "" when there are none."""
    periods = _periods_of(hours, weekday) or []
    return ", ".join(f"{format_time(opens)}–{format_time(closes)}" for opens, closes in periods)


def week_rows(hours: dict | None, *, always: bool = False) -> list[tuple[str, str]]:
    """The week as (day, hours) rows for a page, read as `periods_on` reads them: a day left
    out of set hours is closed; no hours at all means no restriction ("Not set")."""
    if always:
        return [("Every day", "Open 24/7")]
    if not hours:
        return [("Hours", "Not set")]
    return [(name, _periods_text(hours, day) or "Closed") for day, name in DAY_NAMES.items()]


def week_text(hours: dict | None, *, always: bool = False) -> str:
    """The week on one line for a message or a label ("Mon 09:00–18:00; Tue …"): open days
    only; "" when no hours are set."""
    if always:
        return "Open 24/7"
    days = ((day, _periods_text(hours, day)) for day in WEEKDAYS)
    return "; ".join(f"{day.title()} {text}" for day, text in days if text)
