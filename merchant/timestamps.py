"""Reading a stored timestamp never fails a page.

Input is checked (merchant/limits.py), but a row written before that check, or by hand, may
hold a time PostgreSQL keeps and Python cannot: year 10000 UTC fails psycopg's loader, year 1
fails every conversion to a time zone west of UTC. Either made the order list a 500 on every
request until the row was fixed by hand. On PostgreSQL, such a value is read as the nearest
bound of merchant.limits (EARLIEST / LATEST), so the page shows an obviously odd date instead.
"""

from __future__ import annotations

import datetime as dt

import psycopg
from django.db.backends.signals import connection_created
from psycopg import DataError
from psycopg.adapt import Loader
from psycopg.pq import Format

from merchant.limits import EARLIEST, LATEST

TIMESTAMPTZ_OID = 1184


def _clamped_loader(base: type, fast: type | None) -> type:
    """`base` is Django's loader (it sets the connection's time zone on the value); `fast`,
    when psycopg's C extension is installed, parses the text in C. Django's loader derives from
    psycopg's pure-Python one, which parses every timestamp with a regular expression: several
    microseconds a value, the largest CPU cost of reading a few thousand rows."""
    timezone = getattr(base, "timezone", None)
    first_year, last_year = EARLIEST.year, LATEST.year  # a value inside needs no comparison

    class ClampedTimestamptzLoader(base):
        def __init__(self, oid: int, context=None) -> None:
            super().__init__(oid, context)
            # psycopg's C loaders cannot be subclassed: this one is used, not derived from.
            self._parse = fast(oid, context).load if fast is not None else super().load

        def load(self, data) -> dt.datetime:
            try:
                value = self._parse(data)
            except DataError:  # beyond Python's years 1-9999, or ±infinity
                raw = bytes(data)
                return EARLIEST if b"BC" in raw or raw.startswith(b"-") else LATEST
            if fast is not None and value.tzinfo is not timezone:
                value = value.replace(tzinfo=timezone)  # what Django's loader does
            if first_year < value.year < last_year or value.tzinfo is None:
                return value
            return min(max(value, EARLIEST), LATEST)

    return ClampedTimestamptzLoader


def _clamped_binary_loader(timezone: dt.tzinfo | None) -> type:
    """The same bounds for binary results (merchant/rawsql.py CompiledQuery reads in binary):
    psycopg's binary loader (in C when installed) gives the value in the session's time zone,
    moved here to Django's (`timezone`) as Django's text loader gives it."""
    base = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.BINARY)
    first_year, last_year = EARLIEST.year, LATEST.year

    class ClampedTimestamptzBinaryLoader(Loader):
        format = Format.BINARY

        def __init__(self, oid: int, context=None) -> None:
            super().__init__(oid, context)
            self._parse = base(oid, context).load

        def load(self, data) -> dt.datetime:
            try:
                value = self._parse(data)
            except DataError:  # beyond Python's years 1-9999, or ±infinity
                micros = int.from_bytes(bytes(data), "big", signed=True)  # since 2000-01-01
                return EARLIEST if micros < 0 else LATEST
            if timezone is not None and value.tzinfo is not timezone:
                value = value.astimezone(timezone)
            if first_year < value.year < last_year:
                return value
            return min(max(value, EARLIEST), LATEST)

    return ClampedTimestamptzBinaryLoader


def read_timestamps_robustly(sender, connection, **kwargs) -> None:
    # A psycopg loader, no SQL: only PostgreSQL stores times that Python cannot hold.
    if connection.vendor != "postgresql":
        return
    adapters = connection.connection.adapters
    oid = adapters.types["timestamptz"].oid
    base = adapters.get_loader(oid, Format.TEXT)
    if base is not None and not getattr(base, "clamped", False):
        fast = psycopg.adapters.get_loader(oid, Format.TEXT)
        if (
            fast is None
            or fast.__module__.startswith("psycopg.types")
            or "timezone" not in vars(base)
        ):
            fast = None  # no C extension, or a loader that is not Django's: keep it
        loader = _clamped_loader(base, fast)
        loader.clamped = True
        adapters.register_loader("timestamptz", loader)
        adapters.register_loader(
            "timestamptz", _clamped_binary_loader(getattr(base, "timezone", None))
        )


def connect() -> None:
    connection_created.connect(read_timestamps_robustly, dispatch_uid="nearbox-timestamps")
