"""The analytics filters: a period (inclusive local dates) and optional dimensions, parsed from a
query string or a dict with an error per field a person can act on."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from fulfillment.models import CourierAccount, CourierService, Order
from merchant.models import Merchant, StoragePoint
from merchant.zones import zone_of

MAX_DAYS = 400
DEFAULT_DAYS = 30
OWN_FLEET = "own_fleet"
EARLIEST = dt.date(2000, 1, 1)
_ZIP = re.compile(r"^[A-Z0-9]{1,10}$")


class AnalyticsFilterError(ValueError):
    """Bad filters: `errors` maps each field at fault to what was expected."""

    code = "invalid_filters"

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))

    @property
    def field(self) -> str:
        return next(iter(self.errors))


@dataclass(frozen=True)
class AnalyticsFilters:
    date_from: dt.date
    date_to: dt.date  # inclusive, in the merchant's time zone
    point_id: int | None = None
    carrier: int | str | None = (
        None  # a CourierAccount id, or "own_fleet" (every own-fleet account)
    )
    service_id: int | None = None
    zip: str = ""  # a normalised ZIP or its prefix
    channel: str = ""  # Order.source

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def previous(self) -> AnalyticsFilters:
        """The same filters over the period of the same length just before."""
        length = dt.timedelta(days=self.days)
        return self.with_period(self.date_from - length, self.date_to - length)

    def with_period(self, date_from: dt.date, date_to: dt.date) -> AnalyticsFilters:
        return AnalyticsFilters(
            date_from=date_from,
            date_to=date_to,
            point_id=self.point_id,
            carrier=self.carrier,
            service_id=self.service_id,
            zip=self.zip,
            channel=self.channel,
        )

    def as_query(self) -> dict[str, str]:
        """The filters as query parameters (what parse_filters reads back)."""
        query = {"date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat()}
        for name in ("point_id", "carrier", "service_id", "zip", "channel"):
            value = getattr(self, name)
            if value not in (None, ""):
                query[name] = str(value)
        return query


def default_filters(merchant: Merchant, *, today: dt.date | None = None) -> AnalyticsFilters:
    today = today or timezone.localdate(timezone.now(), zone_of(merchant))
    return AnalyticsFilters(date_from=today - dt.timedelta(days=DEFAULT_DAYS - 1), date_to=today)


def _date(raw: str, name: str, errors: dict[str, str]) -> dt.date | None:
    try:
        value = dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = "Expected a date as YYYY-MM-DD."
        return None
    if value < EARLIEST or value.year > 2100:
        errors[name] = "Expected a date between 2000-01-01 and 2100-12-31."
        return None
    return value


def _id(raw: str, name: str, errors: dict[str, str]) -> int | None:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        errors[name] = "Expected a whole number id."
        return None
    return int(raw)


def parse_filters(
    merchant: Merchant, data: Mapping[str, Any], *, today: dt.date | None = None
) -> AnalyticsFilters:
    """Filters from query parameters; blank values mean "all". An id of another merchant's
    point, account or service is an error exactly like an unknown one (nothing leaks)."""
    default = default_filters(merchant, today=today)
    raw = {key: str(data.get(key) or "").strip() for key in _FIELDS}
    errors: dict[str, str] = {}
    for key, value in raw.items():
        if "\x00" in value or len(value) > 64:
            errors[key] = "Too long or contains a NUL character."
    if errors:
        raise AnalyticsFilterError(errors)

    date_from = _date(raw["date_from"], "date_from", errors) if raw["date_from"] else None
    date_to = _date(raw["date_to"], "date_to", errors) if raw["date_to"] else None
    if date_from is None and date_to is None and not errors:
        date_from, date_to = default.date_from, default.date_to
    elif date_from is None and "date_from" not in errors and date_to is not None:
        date_from = date_to - dt.timedelta(days=DEFAULT_DAYS - 1)
    elif date_to is None and "date_to" not in errors and date_from is not None:
        date_to = min(date_from + dt.timedelta(days=DEFAULT_DAYS - 1), default.date_to)
        date_to = max(date_to, date_from)
    if date_from and date_to:
        if date_to < date_from:
            errors["date_to"] = "The end date is before the start date."
        elif (date_to - date_from).days + 1 > MAX_DAYS:
            errors["date_to"] = f"A period is at most {MAX_DAYS} days."

    point_id = service_id = None
    carrier: int | str | None = None
    if raw["point_id"]:
        point_id = _id(raw["point_id"], "point_id", errors)
        if point_id is not None and not (
            StoragePoint.objects.for_merchant(merchant).filter(pk=point_id).exists()
        ):
            errors["point_id"] = "No such storage point."
    if raw["carrier"]:
        if raw["carrier"] == OWN_FLEET:
            carrier = OWN_FLEET
        else:
            carrier = _id(raw["carrier"], "carrier", errors)
            if "carrier" in errors:
                errors["carrier"] = f'Expected a courier account id or "{OWN_FLEET}".'
            elif not CourierAccount.objects.for_merchant(merchant).filter(pk=carrier).exists():
                errors["carrier"] = "No such courier account."
    if raw["service_id"]:
        service_id = _id(raw["service_id"], "service_id", errors)
        if service_id is not None and not (
            CourierService.objects.for_merchant(merchant).filter(pk=service_id).exists()
        ):
            errors["service_id"] = "No such courier service."
    zip_code = re.sub(r"[\s-]", "", raw["zip"]).upper()
    if zip_code and not _ZIP.match(zip_code):
        errors["zip"] = "Expected a ZIP code or its first digits (letters and digits only)."
    if raw["channel"] and raw["channel"] not in Order.Source.values:
        errors["channel"] = "Expected one of: " + ", ".join(Order.Source.values) + "."
    if errors:
        raise AnalyticsFilterError(errors)
    assert date_from is not None and date_to is not None
    return AnalyticsFilters(
        date_from=date_from,
        date_to=date_to,
        point_id=point_id,
        carrier=carrier,
        service_id=service_id,
        zip=zip_code,
        channel=raw["channel"],
    )


_FIELDS = ("date_from", "date_to", "point_id", "carrier", "service_id", "zip", "channel")
