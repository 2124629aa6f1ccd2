"""The merchant's time zone: every time a person reads is shown in it (pickup places have no zone
of their own yet, so their deadlines and opening times use their merchant's too).

Pages get it from CurrentMerchantMiddleware; code that renders outside a request (Celery tasks
sending emails and SMS, PDFs) wraps the rendering in `merchant_zone(merchant)`, since Django's
date filters convert aware datetimes to the *active* zone whatever zone they carry."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from contextlib import AbstractContextManager

from django.utils import timezone


def zone_of(merchant: object) -> zoneinfo.ZoneInfo:
    """The merchant's zone; UTC for none or an unknown name (a page must still render)."""
    name = getattr(merchant, "time_zone", "") or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def merchant_zone(merchant: object) -> AbstractContextManager:
    """`with merchant_zone(m):` templates rendered inside show times in m's zone."""
    return timezone.override(zone_of(merchant))


def local_time(moment: dt.datetime, merchant: object) -> dt.datetime:
    """An aware datetime in the merchant's zone (for text built in Python, e.g. strftime)."""
    return timezone.localtime(moment, zone_of(merchant))
