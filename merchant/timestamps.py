"""Reading a stored timestamp never fails a page.

Input is checked (merchant/limits.py), but a row written before that check, or by hand, may
hold a time PostgreSQL keeps and Python cannot: year 10000 UTC fails psycopg's loader, year 1
fails every conversion to a time zone west of UTC. Either made the order list a 500 on every
request until the row was fixed by hand. On PostgreSQL, such a value is read as the nearest
bound of merchant.limits (EARLIEST / LATEST), so the page shows an obviously odd date instead.
"""

from __future__ import annotations

import datetime as dt

from django.db.backends.signals import connection_created
from psycopg import DataError
from psycopg.pq import Format

from merchant.limits import EARLIEST, LATEST


def _clamped_loader(base: type) -> type:
    class ClampedTimestamptzLoader(base):
        def load(self, data) -> dt.datetime:
            try:
                value = super().load(data)
            except DataError:  # beyond Python's years 1-9999, or ±infinity
                raw = bytes(data)
                return EARLIEST if b"BC" in raw or raw.startswith(b"-") else LATEST
            if value.tzinfo is None:
                return value
            return min(max(value, EARLIEST), LATEST)

    return ClampedTimestamptzLoader


def read_timestamps_robustly(sender, connection, **kwargs) -> None:
    # A psycopg loader, no SQL: only PostgreSQL stores times that Python cannot hold.
    if connection.vendor != "postgresql":
        return
    adapters = connection.connection.adapters
    oid = adapters.types["timestamptz"].oid
    base = adapters.get_loader(oid, Format.TEXT)
    if base is not None and not getattr(base, "clamped", False):
        loader = _clamped_loader(base)
        loader.clamped = True
        adapters.register_loader("timestamptz", loader)


def connect() -> None:
    connection_created.connect(read_timestamps_robustly, dispatch_uid="nearbox-timestamps")
