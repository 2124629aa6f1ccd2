"""The base of the on-demand courier adapters and the helpers their parsers share.

An on-demand courier (Stuart, Uber Direct) is booked per parcel, right now: a quote, a job
(delivery) created from it, a cancel, and webhooks that push the job's status and the
courier's position every few seconds. Its API takes an OAuth bearer token (oauth.py).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from fulfillment.couriers.adapters.base import Capabilities, CourierAdapter
from fulfillment.couriers.adapters.errors import (
    CourierError,
    MalformedResponse,
    WebhookRejected,
)
from fulfillment.couriers.adapters.http import CourierResponse
from fulfillment.couriers.adapters.ondemand.oauth import (
    cached_token,
    drop_token,
    fetch_client_credentials_token,
)
from fulfillment.couriers.adapters.types import PositionReport, TrackingResult

# A webhook whose own timestamp is older than this is refused as stale (a replay of a captured
# request, or one so late that newer ones have moved the parcel on); neither courier states a
# window, ten minutes covers their retries of a failed delivery.
WEBHOOK_TOLERANCE = timedelta(minutes=10)
# A timestamp this far in the future is refused too (clock skew beyond that is an error).
WEBHOOK_FUTURE_SKEW = timedelta(minutes=5)
# What a quote is offered as when the request names no service ("any"): the account's
# same-day service. Name a CourierService of an on-demand account with this code.
SAME_DAY_SERVICE = "same-day"
# Currencies without minor units (ISO 4217 exponent 0) among those these couriers bill in.
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "CLP", "ISK", "HUF", "TWD"})


class OnDemandAdapter(CourierAdapter):
    """OAuth'd JSON API calls for an on-demand courier; subclasses map its payloads."""

    capabilities = Capabilities(
        track_batch_size=1,  # one job per request; webhooks push, polling is the safety net
        has_webhooks=True,
        can_quote=True,
        live_quotes=True,
        can_create_shipment=True,
        can_cancel=True,
    )
    token_scope: str = ""

    def token_url(self) -> str:
        raise NotImplementedError

    def _token_key(self) -> tuple[str, ...]:
        return (
            self.code,
            self.token_url(),
            self.http.account_id,
            self.credentials.get("client_id", ""),
        )

    def _token(self) -> str:
        return cached_token(
            self._token_key(),
            lambda: fetch_client_credentials_token(
                self.http,
                self.token_url(),
                courier=self.code,
                client_id=self.credentials.get("client_id", ""),
                client_secret=self.credentials.get("client_secret", ""),
                scope=self.token_scope,
                secrets=self.secrets,
            ),
        )

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> CourierResponse:
        """One API call with the account's bearer token. A 401 means the cached token was
        revoked or expired early: fetch a new one once and repeat the call."""
        response = None
        for attempt in (1, 2):
            token = self._token()
            response = self.http.request(
                method,
                f"{self.base_url}{path}",
                courier=self.code,
                secrets=(*self.secrets, token),
                params=params,
                json_body=json_body,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Accept": "application/json",
                    **(headers or {}),
                },
            )
            if response.status_code != 401 or attempt == 2:
                break
            drop_token(self._token_key(), token)
        assert response is not None
        return response

    def track_one(self, reference: str) -> TrackingResult:
        raise NotImplementedError

    def track(self, tracking_numbers: list[str]) -> dict[str, TrackingResult | CourierError]:
        results: dict[str, TrackingResult | CourierError] = {}
        for number in tracking_numbers:
            try:
                results[number] = self.track_one(number)
            except CourierError as error:
                results[number] = error
        return results


# --- reading what the courier sent ----------------------------------------------------------


def read_json_object(body: bytes, *, courier: str, what: str) -> Mapping[str, Any]:
    """A JSON object from raw bytes; anything else (not UTF-8, not JSON, nested past Python's
    recursion limit, a list) is MalformedResponse."""
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise MalformedResponse(f"{courier}: the {what} is not JSON", courier=courier) from None
    if not isinstance(value, Mapping):
        raise MalformedResponse(f"{courier}: the {what} is not a JSON object", courier=courier)
    return value


def header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), "")


def body_nonce(courier: str, body: bytes) -> str:
    """A nonce for a webhook that carries no id of its own: the same delivery twice is the same
    bytes (couriers retry the same request)."""
    return f"{courier}:body:{hashlib.sha256(body).hexdigest()}"


def check_fresh(sent_at: datetime, *, now: datetime, courier: str) -> None:
    """Refuse a webhook whose own timestamp is stale or too far in the future."""
    if sent_at < now - WEBHOOK_TOLERANCE:
        raise WebhookRejected(
            f"{courier}: webhook sent at {sent_at.isoformat()} is older than "
            f"{int(WEBHOOK_TOLERANCE.total_seconds() // 60)} minutes (stale or replayed)",
            courier=courier,
        )
    if sent_at > now + WEBHOOK_FUTURE_SKEW:
        raise WebhookRejected(
            f"{courier}: webhook timestamp {sent_at.isoformat()} is in the future", courier=courier
        )


def clean(value: str) -> str:
    """A courier's text as PostgreSQL can store it: no NUL, no lone surrogate."""
    return value.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")


def text(value: Any, limit: int = 300) -> str:
    return clean(value[: limit * 2])[:limit] if isinstance(value, str) else ""


def identifier(value: Any, *, courier: str, what: str) -> str:
    """A courier's id (a number or a text) as our text, or MalformedResponse."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise MalformedResponse(f"{courier}: {what} without its id", courier=courier)
    cleaned = clean(str(value)).strip()[:100]
    if not cleaned:
        raise MalformedResponse(f"{courier}: {what} without its id", courier=courier)
    return cleaned


def first_name(value: Any) -> str:
    """The first word of a courier's name: positions keep no more (CourierPosition)."""
    words = text(value, 200).split()
    return words[0][:80] if words else ""


def coordinate(value: Any, *, courier: str, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedResponse(f"{courier}: {field} is not a number", courier=courier)
    try:
        number = float(value)  # an integer of hundreds of digits (JSON allows it) overflows
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise MalformedResponse(f"{courier}: {field} is not a number", courier=courier)
    return number


def position_report(
    reference: Any,
    latitude: Any,
    longitude: Any,
    recorded_at: datetime,
    *,
    courier: str,
    courier_name: str = "",
    vehicle: str = "",
    eta_at: datetime | None = None,
    arriving: bool = False,
) -> PositionReport:
    try:
        return PositionReport(
            reference=identifier(reference, courier=courier, what="a position"),
            latitude=coordinate(latitude, courier=courier, field="latitude"),
            longitude=coordinate(longitude, courier=courier, field="longitude"),
            recorded_at=recorded_at,
            courier_name=courier_name,
            vehicle=vehicle[:40],
            eta_at=eta_at,
            arriving=arriving,
        )
    except ValueError as error:
        raise MalformedResponse(f"{courier}: {error}", courier=courier) from None


def minor_units(amount: Any, currency: str, *, courier: str) -> int:
    """A price in major units (Stuart's 11.5 EUR) as integer minor units (1150)."""
    if isinstance(amount, bool) or not isinstance(amount, int | float | str):
        raise MalformedResponse(f"{courier}: a price that is not a number", courier=courier)
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise MalformedResponse(
            f"{courier}: a price that is not a number", courier=courier
        ) from None
    if not value.is_finite() or value < 0:
        raise MalformedResponse(f"{courier}: a price that is not a price", courier=courier)
    exponent = 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
    return int((value * (10**exponent)).to_integral_value())


def currency_code(value: Any, *, courier: str) -> str:
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha():
        raise MalformedResponse(f"{courier}: a price without an ISO currency", courier=courier)
    return value.upper()


def address_line(address: Mapping[str, str]) -> str:
    """ "street, postal code city, country": the one-line address both couriers geocode."""
    town = " ".join(p for p in (address.get("postal_code", ""), address.get("city", "")) if p)
    parts = (address.get("street", ""), town, address.get("country", ""))
    return ", ".join(p.strip() for p in parts if p and p.strip())


def split_name(name: str) -> tuple[str, str]:
    first, _, last = (name or "").strip().partition(" ")
    return first, last.strip()
