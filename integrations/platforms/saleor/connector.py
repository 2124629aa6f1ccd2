"""Saleor as a Nearbox shop platform: a Saleor App installed from its manifest (manifest.py).

The connection's `shop_url` is the shop's GraphQL API URL (what Saleor sends as Saleor-Api-Url);
its credentials hold the app token Saleor POSTed at install (install.py) and, only where the
merchant set one on a webhook, the deprecated HMAC secret. `settings` caches the shop's JWKS
(`jwks`, `jwks_fetched_at`) and the app's id at Saleor (`app_id`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from integrations.platforms.addresses import AddressRefused, refuse_local, refuse_local_resolved
from integrations.platforms.base import (
    HTTP_TIMEOUT,
    CredentialField,
    Inbound,
    PlatformConnector,
    PlatformError,
    WebhookRefused,
)
from integrations.platforms.saleor import signature
from integrations.platforms.saleor.manifest import ORDER_EVENTS
from integrations.platforms.saleor.mapping import order_from_payload
from integrations.platforms.types import NormalizedOrder

if TYPE_CHECKING:
    from fulfillment.models import Shipment
    from integrations.models import PlatformConnection, PlatformOrder

logger = logging.getLogger(__name__)

# Saleor retries a failed async webhook 5 times with backoff (minutes in all); a body older than
# this is a replay, not a retry. Sync webhooks are answered at once.
MAX_AGE_ASYNC = dt.timedelta(minutes=30)
MAX_AGE_SYNC = dt.timedelta(minutes=5)
CLOCK_SKEW = dt.timedelta(minutes=5)
_NO_CLIENT: Any = object()  # tells the base class's __init__ not to make a client

APP_QUERY = "query { app { id name webhooks { id } } shop { name } }"
ORDERS_QUERY = """
query NearboxOrders($after: String, $since: Date) {
  orders(first: 100, after: $after, filter: {created: {gte: $since}}) {
    pageInfo { hasNextPage endCursor }
    edges { node { %s } }
  }
}
"""
WRITE_BACK = """
mutation NearboxTracking($id: ID!, $meta: [MetadataInput!]!, $note: String!) {
  updateMetadata(id: $id, input: $meta) { errors { field message } }
  orderNoteAdd(order: $id, input: {message: $note}) { errors { field message } }
}
"""
DELETE_WEBHOOK = "mutation ($id: ID!) { webhookDelete(id: $id) { errors { field message } } }"


def manifest_url(connection: PlatformConnection) -> str:
    """The address a merchant installs the Nearbox app in Saleor from (unguessable)."""
    path = reverse("saleor_manifest", args=[connection.webhook_token])
    return f"{settings.NEARBOX_BASE_URL}{path}"


def _allow_local() -> bool:
    """The fake Saleor of tests and `make run` listens on 127.0.0.1 over plain HTTP."""
    return settings.NEARBOX_PLATFORMS_ALLOW_LOOPBACK


def _refuse_local(url: str) -> None:
    """A shop's API is public and served over HTTPS: Nearbox sends it the app token and must
    not be pointed at its own network (localhost, private or link-local addresses)."""
    if _allow_local():
        return
    try:
        refuse_local(url)
    except AddressRefused:
        raise ValueError("Enter the shop's public Saleor API URL, not a local address.") from None
    if urlsplit(url).scheme != "https":
        raise ValueError("The Saleor API URL must start with https://.")


def same_api(a: str, b: str) -> bool:
    return a.strip().rstrip("/").lower() == b.strip().rstrip("/").lower()


def _issued_at(payload: Mapping[str, Any]) -> dt.datetime | None:
    value = payload.get("issuedAt")
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


MAX_DEPTH = 32  # our subscription payloads nest 6 deep


def _storable(value: Any, depth: int = 0) -> Any:
    """A decoded body PostgreSQL can store: texts without NUL bytes or lone surrogates."""
    if depth > MAX_DEPTH:
        raise WebhookRefused("the body is nested too deeply")
    if isinstance(value, str):
        return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_storable(str(k), depth): _storable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(item, depth + 1) for item in value]
    return value


class SaleorConnector(PlatformConnector):
    platform = "saleor"
    credential_fields = (
        CredentialField(
            "hmac_secret",
            "Webhook secret key (deprecated HMAC)",
            required=False,
            help="Only if you set a secretKey on Nearbox's webhooks in Saleor; leave empty for "
            "Saleor's standard signature (JWS).",
        ),
    )
    shop_url_label = "Saleor API URL"
    shop_url_help = "Your shop's GraphQL address, like https://shop.example.com/graphql/."

    def __init__(
        self,
        connection: PlatformConnection,
        credentials: Mapping[str, str],
        http: httpx.Client | None = None,
    ) -> None:
        # The HTTP client is made only when needed: verifying a webhook with the cached JWKS
        # needs none, and a client costs milliseconds (TLS context) on a sync webhook's clock.
        super().__init__(connection, credentials, http=_NO_CLIENT)
        self._http, self._own_http = http, http is None

    @property
    def http(self) -> httpx.Client:  # type: ignore[override]
        if self._http is None:
            self._http = httpx.Client(timeout=HTTP_TIMEOUT)
        return self._http

    @http.setter
    def http(self, value: httpx.Client) -> None:
        if value is not _NO_CLIENT:
            self._http = value

    def close(self) -> None:
        if self._own_http and self._http is not None:
            self._http.close()

    @classmethod
    def normalize_shop_url(cls, value: str) -> str:
        # Saleor sends its API URL as <origin>/graphql/: a bare origin means that, and the
        # trailing slash is kept as Saleor spells it (the install compares the two).
        base = super().normalize_shop_url(value)
        _refuse_local(base)
        if base.count("/") == 2:
            return base + "/graphql/"
        return base + "/" if base.endswith("/graphql") else base

    # --- verification -----------------------------------------------------------------------

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, events: Mapping[str, str], sync: bool
    ) -> Inbound:
        """Verify a webhook whose Saleor-Event is one of `events` ({saleor event: topic})."""
        api_url = headers.get("Saleor-Api-Url", "")
        if api_url and not same_api(api_url, self.connection.shop_url):
            raise WebhookRefused("Saleor-Api-Url is not this connection's shop")
        event = (headers.get("Saleor-Event") or headers.get("X-Saleor-Event") or "").lower()
        if event not in events:
            raise WebhookRefused(f"event {event[:60]!r} is not one Nearbox subscribed to")
        given = headers.get("Saleor-Signature") or headers.get("X-Saleor-Signature") or ""
        if not given:
            raise WebhookRefused("unsigned (no Saleor-Signature)")
        try:
            if "." not in given and self.credentials.get("hmac_secret"):
                signature.verify_hmac(given, body, self.credentials["hmac_secret"])
            else:
                self._verify_jws(given, body)
        except signature.SignatureInvalid as error:
            raise WebhookRefused(f"signature refused: {error}") from error
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError) as error:
            raise WebhookRefused("the body is not JSON") from error
        if not isinstance(payload, dict):
            raise WebhookRefused("the body is not a JSON object")
        payload = _storable(payload)
        issued = _issued_at(payload)
        now = timezone.now()
        max_age = MAX_AGE_SYNC if sync else MAX_AGE_ASYNC
        if issued is None or not (now - max_age <= issued <= now + CLOCK_SKEW):
            raise WebhookRefused("stale or undated (issuedAt)")
        # Saleor sends no delivery id: a redelivery is the same signed body.
        return Inbound(hashlib.sha256(body).hexdigest(), events[event], payload)

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> Inbound:
        return self.verify(body, headers, events=ORDER_EVENTS, sync=False)

    def _verify_jws(self, given: str, body: bytes) -> None:
        jwks = self.connection.settings.get("jwks") or {}
        try:
            signature.verify_jws(given, body, jwks)
            return
        except KeyError:
            pass
        # A kid we do not know: the shop may have rotated its key. Refetch once, not too often.
        if not self._refresh_jwks():
            raise signature.SignatureInvalid("unknown key id")
        try:
            signature.verify_jws(given, body, self.connection.settings["jwks"])
        except KeyError as error:
            raise signature.SignatureInvalid("unknown key id") from error

    def _refresh_jwks(self) -> bool:
        try:
            fetched = dt.datetime.fromisoformat(self.connection.settings["jwks_fetched_at"])
        except (KeyError, TypeError, ValueError):
            fetched = None
        if fetched is not None and timezone.now() - fetched < signature.JWKS_REFETCH_PAUSE:
            return False
        try:
            jwks = signature.fetch_jwks(self.http, self.connection.shop_url)
        except signature.JwksUnavailable as error:
            logger.warning("Saleor connection %s: %s", self.connection.pk, error)
            jwks = None
        self.store_jwks(jwks)
        return jwks is not None

    def store_jwks(self, jwks: dict | None) -> None:
        """Cache the shop's key set (None: keep the old one, note the attempt)."""
        changes: dict[str, Any] = {"jwks_fetched_at": timezone.now().isoformat()}
        if jwks is not None:
            changes["jwks"] = jwks
        self._remember(changes)

    def _remember(self, changes: Mapping[str, Any]) -> None:
        """Set these keys of the connection's settings, in the row as it is now (an install may
        have written other keys since this connector read it)."""
        from integrations.models import PlatformConnection

        self.connection.settings.update(changes)
        if not self.connection.pk:
            return
        with transaction.atomic():
            rows = PlatformConnection.objects.select_for_update().filter(pk=self.connection.pk)
            fresh = rows.values_list("settings", flat=True).first()
            if fresh is not None:
                rows.update(settings={**fresh, **changes})

    # --- orders -----------------------------------------------------------------------------

    def order_from_payload(self, payload: Mapping[str, Any]) -> NormalizedOrder:
        return order_from_payload(payload)

    # --- the GraphQL API --------------------------------------------------------------------

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict:
        token = self.credentials.get("auth_token")
        if not token:
            raise PlatformError(
                "The Nearbox app is not installed in Saleor yet: install it from its manifest "
                "URL (Saleor Dashboard → Apps → Install external app)."
            )
        try:
            refuse_local_resolved(self.connection.shop_url)  # before the token goes there
        except AddressRefused as error:
            raise PlatformError(f"Nearbox does not call this shop: {error}") from None
        try:
            response = self.http.post(
                self.connection.shop_url,
                json={"query": query, "variables": dict(variables or {})},
                headers={"Authorization": f"Bearer {token}"},
                follow_redirects=False,
            )
        except httpx.HTTPError as error:
            raise PlatformError(
                f"Saleor at {self.connection.shop_url} did not answer ({type(error).__name__}).",
                transient=True,
            ) from error
        status = response.status_code
        if status in (401, 403):
            raise PlatformError(
                f"Saleor refused the app token ({status}): install the app again.", status=status
            )
        if status != 200:
            raise PlatformError(
                f"Saleor answered {status}.",
                transient=status == 429 or status >= 500,
                status=status,
            )
        try:
            document = response.json()
        except ValueError as error:
            raise PlatformError("Saleor's answer is not JSON.", transient=True) from error
        if not isinstance(document, dict):
            raise PlatformError("Saleor's answer is not a GraphQL response.")
        errors = document.get("errors")
        if errors or not isinstance(document.get("data"), dict):
            first = errors[0] if isinstance(errors, list) and errors else {}
            message = first.get("message") if isinstance(first, dict) else None
            raise PlatformError(f"Saleor refused the request: {str(message or 'no data')[:200]}")
        return document["data"]

    def test_connection(self) -> str:
        if not self.credentials.get("auth_token"):
            # Connected in Nearbox, not installed in Saleor yet: check the API URL is a Saleor
            # (its JWKS answers) and say where the manifest is.
            try:
                self.store_jwks(signature.fetch_jwks(self.http, self.connection.shop_url))
            except signature.JwksUnavailable as error:
                raise PlatformError(f"{error} Check the Saleor API URL.", transient=True) from error
            return (
                f"Saleor at {self.connection.shop_url} answers. Install the Nearbox app there "
                f"(Dashboard → Apps → Install external app) from {manifest_url(self.connection)}"
            )
        data = self.graphql(APP_QUERY)
        shop = (data.get("shop") or {}).get("name") or self.connection.shop_url
        return f"Connected to {shop} ({self.connection.shop_url}) as the Nearbox app."

    def on_connect(self) -> None:
        """Nothing to register: Saleor creates the manifest's webhooks when the merchant
        installs the app, and POSTs the token to us then (install.py)."""
        self.connection.settings.setdefault("installed", False)

    def on_disconnect(self) -> None:
        if not self.credentials.get("auth_token"):
            return  # never installed: Saleor holds no webhooks of ours
        try:
            data = self.graphql(APP_QUERY)
            for webhook in (data.get("app") or {}).get("webhooks") or []:
                self.graphql(DELETE_WEBHOOK, {"id": webhook["id"]})
        except (PlatformError, KeyError, TypeError) as error:
            logger.warning(
                "Saleor connection %s: webhooks not removed: %s", self.connection.pk, error
            )

    def push_shipment(self, platform_order: PlatformOrder, shipment: Shipment, status: str) -> dict:
        """Tracking onto the Saleor order: its public metadata (what a storefront or the
        dashboard shows) and a note in its history."""
        from fulfillment.tracking.notifications import tracking_url

        meta = [
            {"key": "nearbox.tracking_number", "value": shipment.tracking_number or ""},
            {"key": "nearbox.carrier", "value": shipment.account.name},
            {"key": "nearbox.tracking_url", "value": tracking_url(shipment)},
            {"key": "nearbox.status", "value": status},
        ]
        note = f"Nearbox: {status.replace('_', ' ')}"
        if shipment.tracking_number:
            note += f", tracking number {shipment.tracking_number}"
        data = self.graphql(
            WRITE_BACK, {"id": platform_order.external_id, "meta": meta, "note": note + "."}
        )
        for result in data.values():
            if isinstance(result, dict) and result.get("errors"):
                raise PlatformError(f"Saleor refused the tracking: {result['errors'][0]}")
        return {"id": f"meta:{platform_order.external_id}", "status": status}

    def fetch_orders(self, since: dt.datetime) -> Iterator[Mapping[str, Any]]:
        from integrations.platforms.saleor.manifest import ORDER_FIELDS

        if not self.credentials.get("auth_token"):
            # Connected in Nearbox, not installed in Saleor yet (no token to read orders with):
            # the import waits for the install, which starts it (install.py).
            self._remember({"import_since": since.isoformat()})
            return
        after = None
        while True:
            data = self.graphql(
                ORDERS_QUERY % ORDER_FIELDS, {"after": after, "since": since.date().isoformat()}
            )
            page = data.get("orders") or {}
            for edge in page.get("edges") or []:
                node = (edge or {}).get("node")
                if isinstance(node, dict) and node.get("status") not in ("DRAFT", "EXPIRED"):
                    yield node
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage") or not info.get("endCursor"):
                return
            after = info["endCursor"]
