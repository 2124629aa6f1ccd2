"""Small helpers the courier parsers share: timestamps, keyword tables, locations."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from fulfillment.couriers.adapters.errors import (
    CourierError,
    CourierRejected,
    MalformedResponse,
    TrackingNotFound,
)
from fulfillment.couriers.adapters.types import TrackingStatus
from merchant.limits import moment_problem


def parse_timestamp(value: Any, *, courier: str, field: str) -> datetime:
    """ISO 8601 → aware UTC datetime. A courier timestamp without offset is taken as UTC."""
    if not isinstance(value, str) or not value:
        raise MalformedResponse(f"{courier}: {field} is missing or not a text", courier=courier)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise MalformedResponse(
            f"{courier}: {field} {value!r} is not an ISO 8601 timestamp", courier=courier
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if moment_problem(parsed):  # year 1 or 9999 would break every page showing it in a zone
        raise MalformedResponse(f"{courier}: {field} {value!r} is out of range", courier=courier)
    return parsed.astimezone(UTC)


def optional_timestamp(value: Any) -> datetime | None:
    """Like parse_timestamp for optional fields (estimates): None when absent or unreadable."""
    try:
        return parse_timestamp(value, courier="", field="")
    except MalformedResponse:
        return None


def status_by_keyword(
    text: str, table: Sequence[tuple[str, TrackingStatus]], default: TrackingStatus
) -> TrackingStatus:
    """First status whose keyword occurs in the courier's text (case-insensitive)."""
    lowered = text.lower()
    for keyword, status in table:
        if keyword in lowered:
            return status
    return default


def clean_text(value: Any) -> str:
    """A courier's text as something every database stores: no NUL, no lone surrogates (each
    becomes "?"), so a hostile or broken answer is kept legibly instead of failing the write."""
    text = "" if value is None else str(value)
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def join_text(parts: Iterable[Any], separator: str = ", ") -> str:
    texts = (clean_text(p).strip() for p in parts if p not in (None, ""))
    return separator.join(t for t in texts if t)


def as_mapping(value: Any, *, courier: str, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedResponse(f"{courier}: {field} is not an object", courier=courier)
    return value


def as_list(value: Any, *, courier: str, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedResponse(f"{courier}: {field} is not a list", courier=courier)
    return value


def read_document(body: bytes, *, courier: str) -> Any:
    """A saved courier document (courier_replay) as JSON; MalformedResponse when it is not."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise MalformedResponse(f"{courier}: the document is not JSON", courier=courier) from None


def tracking_error(
    *,
    courier: str,
    code: str,
    words: str,
    status_code: int | None,
    tracking_number: str,
    not_found_codes: set[str] | frozenset[str],
) -> CourierError:
    """A courier's error document as our error: not found (one of its not-found codes, or a
    404 without a code), else a rejection carrying the courier's code; the message says who
    answered what for which number."""
    answered = f"{courier} answered {status_code}" if status_code else f"{courier} error document"
    message = f"{answered} for {tracking_number or 'the request'}: {words or 'no details'}"
    if code in not_found_codes or (status_code == 404 and not code):
        return TrackingNotFound(message, courier=courier, status_code=status_code)
    return CourierRejected(message, courier=courier, status_code=status_code, courier_code=code)
