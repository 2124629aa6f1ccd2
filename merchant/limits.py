"""What a value must be for every database we run on to store it and read it back.

Every entry point (the JSON API's schemas, the order service, imports) asks these questions
before writing, so that no input is a 500 and no stored row makes a page unreadable later.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1  # IntegerField, PositiveIntegerField
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # BigIntegerField, primary keys
# Years far enough from 1 and 9999 that any time zone can show them (Python's datetime stops
# at year 1 and 9999, PostgreSQL refuses offsets beyond ±15:59).
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)
MAX_UTC_OFFSET = dt.timedelta(hours=14)  # the widest offset in use (Kiribati, UTC+14)


def text_problem(value: str) -> str | None:
    """Why this text cannot be stored (PostgreSQL refuses NUL; UTF-8 has no lone surrogates)."""
    if "\x00" in value:
        return "Remove the NUL character (\\u0000): text cannot contain it."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Remove the unpaired surrogate (\\ud800-\\udfff): it is not valid text."
    return None


def moment_problem(value: dt.datetime) -> str | None:
    """Why this date and time cannot be stored and shown in every time zone."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        return "Use a UTC offset between -14:00 and +14:00."
    try:
        utc = value.astimezone(dt.UTC) if offset is not None else value.replace(tzinfo=dt.UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        return "Enter a date between the years 1900 and 8999."
    return None


def number_problem(value: int | float | Decimal) -> str | None:
    """Why this number fits no column: beyond 64 bits, or not a finite number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            return f"Enter a whole number between {INT64_MIN} and {INT64_MAX}."
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return "Enter a finite number."
    if isinstance(value, Decimal) and not value.is_finite():
        return "Enter a finite number."
    return None


def value_problem(value: object) -> str | None:
    """The first problem in a value or anything nested in it (lists, dicts), or None."""
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, dt.datetime):
        return moment_problem(value)
    if isinstance(value, dt.time) and value.tzinfo is not None:
        return "Send a local time without a UTC offset, like 17:00."
    if isinstance(value, int | float | Decimal):
        return number_problem(value)
    if isinstance(value, dict):
        for key, item in value.items():
            problem = value_problem(key) or value_problem(item)
            if problem:
                return problem
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            problem = value_problem(item)
            if problem:
                return problem
    return None
