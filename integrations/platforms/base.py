"""The one door to a shop platform (Shopify, WooCommerce, Saleor): the connector interface, its
errors and the registry.

A connector is built for one PlatformConnection with its decrypted credentials. It verifies and
reads the platform's webhooks, maps its documented order payload onto NormalizedOrder
(types.py), registers and removes its webhooks at the platform, writes shipments back and pages
through orders for the backfill. Everything else (storing deliveries once, intake, exceptions,
tasks, pages) is shared, in this package, and knows no platform.

A new platform is a module plus one entry in CONNECTORS, loaded by dotted name (importlib) as the
courier adapters are (fulfillment/couriers/adapters/base.py).
"""

from __future__ import annotations

import abc
import datetime as dt
import importlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from fulfillment.couriers.adapters.base import CredentialField
from integrations.platforms.types import NormalizedOrder

if TYPE_CHECKING:
    from fulfillment.models import Shipment
    from integrations.models import PlatformConnection, PlatformOrder

__all__ = [
    "CONNECTORS",
    "CredentialField",
    "Inbound",
    "PayloadInvalid",
    "PlatformConnector",
    "PlatformError",
    "WebhookRefused",
    "clean_json",
    "connector_class",
    "get_connector",
    "json_body",
]

# Seconds for one call to a platform's API: a webhook registration or a fulfilment write is
# small; a platform that takes longer is treated as failing and the task retries.
HTTP_TIMEOUT = httpx.Timeout(10.0, connect=5.0)

# Normalised topics; a connector may also return a platform-specific topic it handles itself.
ORDER_CREATED = "order.created"
ORDER_UPDATED = "order.updated"
ORDER_CANCELLED = "order.cancelled"
ORDER_TOPICS = (ORDER_CREATED, ORDER_UPDATED, ORDER_CANCELLED)


class WebhookRefused(Exception):
    """The webhook is not to be trusted or not to be stored (no or bad signature, stale, not
    JSON, a topic we never asked for). `reason` is for the log, never echoed in detail to the
    sender."""

    # What the endpoint answers: 401, or 200 for a delivery to accept and store nowhere (a
    # platform's ping of a new webhook address, which it reports as an error if refused).
    answer_status: int = 401

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PayloadInvalid(Exception):
    """A verified payload that is not an order we can read; `reason` in words, for the
    merchant (it becomes the PlatformOrder's problem or the InboundWebhook's error)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PlatformError(Exception):
    """The platform's API refused or failed a call; `detail` in words a merchant can act on
    ("The token was refused (401): check the Admin API access token."). `transient` says a
    retry may help (timeouts, 429, 5xx)."""

    def __init__(self, detail: str, *, transient: bool = False, status: int | None = None):
        super().__init__(detail)
        self.detail, self.transient, self.status = detail, transient, status


@dataclass(frozen=True)
class Inbound:
    """A verified webhook: the platform's delivery id (or a hash of the body where it has none),
    the normalised topic and the decoded JSON body."""

    delivery_id: str
    topic: str
    payload: dict = field(hash=False)


class PlatformConnector(abc.ABC):
    """One platform. Public methods raise only the errors above."""

    platform: str  # a Platform value
    credential_fields: tuple[CredentialField, ...] = ()
    # What the connect form's address field asks for, per platform.
    shop_url_label: str = "Store address"
    shop_url_help: str = ""

    def __init__(
        self,
        connection: PlatformConnection,
        credentials: Mapping[str, str],
        http: httpx.Client | None = None,
    ) -> None:
        self.connection = connection
        self.credentials = dict(credentials)
        self._http = http

    @property
    def http(self) -> httpx.Client:
        """The HTTP client, made on first use: intake builds a connector per order only to read
        payloads, and a client (its TLS context) costs milliseconds."""
        if self._http is None:
            self._http = httpx.Client(timeout=HTTP_TIMEOUT)
        return self._http

    @classmethod
    def normalize_shop_url(cls, value: str) -> str:
        """The store address as stored in PlatformConnection.shop_url; raises ValueError with a
        sentence for one that cannot be the platform's. The default keeps scheme, host and path
        without a trailing slash."""
        value = (value or "").strip()
        try:
            parts = urlsplit(value if "://" in value else f"https://{value}")
            parts.port  # noqa: B018 — raises ValueError for a port out of range
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("Enter the store's address, like https://shop.example.com.")
        return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"

    @abc.abstractmethod
    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> Inbound:
        """Check the signature (constant-time) and freshness of a raw request body, then decode
        it. `headers` is case-insensitive (Django's request.headers). Raises WebhookRefused."""

    @abc.abstractmethod
    def order_from_payload(self, payload: Mapping[str, Any]) -> NormalizedOrder:
        """The platform's order (a webhook body or a backfill item) in our words. Raises
        PayloadInvalid."""

    @abc.abstractmethod
    def test_connection(self) -> str:
        """Call the platform with the credentials; a sentence saying what answered ("Connected to
        Example Store (example.myshopify.com)."). Raises PlatformError."""

    @abc.abstractmethod
    def on_connect(self) -> None:
        """Register our webhooks at the platform (the receiving URL comes from `webhook_url()`)
        and keep their ids in `connection.settings` (the caller saves the connection). Raises
        PlatformError."""

    @abc.abstractmethod
    def on_disconnect(self) -> None:
        """Remove our webhooks at the platform: best effort, errors logged, never raised (a
        disconnect must always succeed)."""

    @abc.abstractmethod
    def push_shipment(self, platform_order: PlatformOrder, shipment: Shipment, status: str) -> dict:
        """Write a shipment's booking or status change back to the platform's order. `status` is
        the shipment's tracking status (fulfillment.couriers.adapters.types.TrackingStatus
        value). Returns the new entry for `platform_order.fulfillments[str(shipment.pk)]`,
        at least {"id": <platform fulfilment id>, "status": status}; the caller stores it.
        Raises PlatformError."""

    @abc.abstractmethod
    def fetch_orders(self, since: dt.datetime) -> Iterator[Mapping[str, Any]]:
        """Open orders created since `since`, page by page, as payloads `order_from_payload`
        reads. Raises PlatformError."""

    def handle_other_topic(self, topic: str, payload: Mapping[str, Any]) -> tuple[str, str]:
        """A verified delivery whose topic is not one of ORDER_TOPICS (a platform-specific one
        the connector returned from verify_webhook). Returns (InboundWebhook state value, a
        note for the log): "done" or "ignored". The default: nothing to do."""
        return "ignored", f"Nothing to do for {topic[:60]}."

    # --- shared helpers ---------------------------------------------------------------------

    def webhook_url(self) -> str:
        """The absolute address the platform posts this connection's webhooks to."""
        from integrations.platforms.receiving import webhook_url

        return webhook_url(self.connection)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()


# --- reading bodies ---------------------------------------------------------------------------

MAX_BODY_BYTES = 2 * 1024 * 1024  # an order with hundreds of lines is well under this
MAX_JSON_DEPTH = 32  # when a body must be cleaned; json.loads bounds the others (RecursionError)


def clean_json(value: Any, depth: int = 0) -> Any:
    """A decoded JSON value as PostgreSQL's jsonb stores it: strings lose NUL characters and lone
    surrogates (each becomes "?"), which jsonb refuses. Raises ValueError when nested deeper
    than MAX_JSON_DEPTH (no platform order is)."""
    if depth > MAX_JSON_DEPTH:
        raise ValueError("nested too deeply")
    if isinstance(value, str):
        return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {clean_json(k, depth + 1): clean_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(v, depth + 1) for v in value]
    return value


# What decodes to a string jsonb refuses: \u0000, or a \uD800-\uDFFF escape (a surrogate;
# paired ones are legal and merely cleaned for nothing). In UTF-8, raw NUL and invalid bytes
# already fail json.loads.
NEEDS_CLEANING = re.compile(rb"\\u0000|\\u[dD][89a-fA-F]")


def json_body(body: bytes) -> dict:
    """A webhook body as a JSON object, cleaned for storing; raises WebhookRefused otherwise.
    Call it after the signature is verified (the signature covers the raw bytes). Most bodies
    hold nothing to clean and are not walked (the receiving endpoint's time is spent here)."""
    if len(body) > MAX_BODY_BYTES:
        raise WebhookRefused("The body is larger than 2 MB.")
    try:
        data = json.loads(body)
        if b"\x00" in body or NEEDS_CLEANING.search(body):  # (NUL bytes: UTF-16 or -32)
            data = clean_json(data)
    except (ValueError, RecursionError):
        raise WebhookRefused("The body is not JSON we can read.") from None
    if not isinstance(data, dict):
        raise WebhookRefused("The body is not a JSON object.")
    return data


CONNECTORS: dict[str, str] = {
    "shopify": "integrations.platforms.shopify:ShopifyConnector",
    "woocommerce": "integrations.platforms.woocommerce:WooCommerceConnector",
    "saleor": "integrations.platforms.saleor:SaleorConnector",
}


def connector_class(platform: str) -> type[PlatformConnector]:
    try:
        module_name, class_name = CONNECTORS[platform].split(":")
    except KeyError:
        raise ValueError(f"unknown platform {platform!r}; known: {sorted(CONNECTORS)}") from None
    return getattr(importlib.import_module(module_name), class_name)


def get_connector(
    connection: PlatformConnection,
    *,
    credentials: Mapping[str, str] | None = None,
    http: httpx.Client | None = None,
) -> PlatformConnector:
    """The connector of a connection, with its stored credentials decrypted unless given."""
    if credentials is None:
        from integrations.platforms.credentials import read_credentials

        credentials = read_credentials(connection)
    return connector_class(connection.platform)(connection, credentials, http)
