"""Shopify: a custom app's Admin API access token and API secret, the REST Admin API (version
API_VERSION) and the orders/create, orders/updated and orders/cancelled webhooks.

Formats (tests/fixtures/shopify/SOURCE.md): Shopify's REST Admin API reference for Order,
Webhook, FulfillmentOrder, Fulfillment and FulfillmentEvent, and its webhook delivery headers.

- Webhooks: X-Shopify-Hmac-Sha256 is the base64 HMAC-SHA256 of the raw body with the app's API
  secret (compared in constant time); X-Shopify-Webhook-Id identifies a delivery (its retries
  keep it); X-Shopify-Triggered-At says when Shopify fired it: a delivery older than Shopify's
  own retry period (48 h) or from the future is refused. Topics outside the three we register
  are refused.
- Checkout choice: the order's shipping line `code` is the CarrierService `service_code` the
  shopper chose among Nearbox's rates (lockers/services/shopify.py): "home:<option>",
  "locker:<id>", "shop:<id>"; any other shipping is home delivery.
- Write-back: on booking, the order's open fulfillment orders are fulfilled (POST
  fulfillments.json) with the tracking number, company and our tracking page, the customer
  notified; each later status is a fulfillment event (POST
  orders/{id}/fulfillments/{id}/events.json).
- Backfill: GET orders.json?status=open&created_at_min=…, 250 a page, the next page from the
  Link header (only ever on the store's own host).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fulfillment.couriers.adapters.base import CredentialField
from integrations.platforms.base import (
    ORDER_CANCELLED,
    ORDER_CREATED,
    ORDER_UPDATED,
    Inbound,
    PayloadInvalid,
    PlatformConnector,
    PlatformError,
    WebhookRefused,
    json_body,
)
from integrations.platforms.types import NormalizedLine, NormalizedOrder, checkout_choice

if TYPE_CHECKING:
    from fulfillment.models import Shipment
    from integrations.models import PlatformOrder

logger = logging.getLogger(__name__)

API_VERSION = "2024-10"
TOPICS = {
    "orders/create": ORDER_CREATED,
    "orders/updated": ORDER_UPDATED,
    "orders/cancelled": ORDER_CANCELLED,
}
# Shopify retries a failed delivery for up to 48 hours; a redelivery inside that window is
# found by its webhook id, an older one is refused as stale.
STALE_AFTER = dt.timedelta(hours=48)
CLOCK_SKEW = dt.timedelta(minutes=5)
PAGE_LIMIT = 250
MAX_PAGES = 400  # 100,000 orders: a backfill is for the last days, never the whole history
MAX_LINES = 500
MAX_QUANTITY = 100_000
# Paid, or authorised and captured on fulfilment: ready to ship. pending, partially_paid,
# refunded and voided orders wait (or never ship).
PAID = frozenset({"paid", "partially_refunded", "authorized"})
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "CLP", "ISK", "HUF", "TWD", "VND"})
SHOP_HOST = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}\.myshopify\.com$")
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
NEXT_LINK = re.compile(r'<([^<>]+)>\s*;\s*rel="?next"?')

# Our tracking status → Shopify's fulfillment event status (FulfillmentEvent `status`).
EVENT_STATUS = {
    "info_received": "confirmed",
    "in_transit": "in_transit",
    "out_for_delivery": "out_for_delivery",
    "failed_attempt": "attempted_delivery",
    "available_for_pickup": "ready_for_pickup",
    "delivered": "delivered",
    "exception": "failure",
    "returned": "failure",
    "expired": "failure",
}
# Our courier codes → the tracking company names Shopify knows (it then links the number).
TRACKING_COMPANY = {
    "dhl": "DHL Express",
    "ups": "UPS",
    "royalmail": "Royal Mail",
    "dpd": "DPD",
    "fedex": "FedEx",
    "usps": "USPS",
    "gls": "GLS",
    "canadapost": "Canada Post",
    "purolator": "Purolator",
}


def _allow_loopback() -> bool:
    """The fake Shopify of tests and `make run` listens on 127.0.0.1; production stores are
    always <shop>.myshopify.com."""
    return settings.NEARBOX_PLATFORMS_ALLOW_LOOPBACK


def _text(value: Any, limit: int = 200) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _minor(amount: Any, currency: str) -> int:
    """A Shopify money string ("199.00") in minor units; PayloadInvalid if it is not one."""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        raise PayloadInvalid(f"{amount!r} is not an amount of money.") from None
    if not value.is_finite() or value < 0 or value > Decimal(10) ** 15:
        raise PayloadInvalid(f"{amount!r} is not an amount of money.")
    places = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    return int((value * (10**places)).to_integral_value())


def _when(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = parse_datetime(value.strip())
    except ValueError:
        return None
    if moment is None or timezone.is_naive(moment) or not 1900 <= moment.year <= 8999:
        return None
    return moment


class ShopifyConnector(PlatformConnector):
    platform = "shopify"
    credential_fields = (
        CredentialField(
            "access_token",
            "Admin API access token",
            help="Shopify admin → Settings → Apps → Develop apps → your app → API credentials "
            "(shpat_…). Scopes: read_orders, write_orders, read_merchant_managed_fulfillment_"
            "orders, write_merchant_managed_fulfillment_orders.",
        ),
        CredentialField(
            "app_secret",
            "API secret key",
            help="On the same page: Shopify signs its webhooks with it.",
        ),
    )
    shop_url_label = "Shop domain"
    shop_url_help = "your-store.myshopify.com"

    @classmethod
    def normalize_shop_url(cls, value: str) -> str:
        value = (value or "").strip().lower()
        if value and "." not in value and "/" not in value and ":" not in value:
            value = f"{value}.myshopify.com"  # the shop's handle alone
        parts = urlsplit(value if "://" in value else f"https://{value}")
        host = parts.hostname or ""
        if SHOP_HOST.match(host):
            return f"https://{host}"
        if host in LOOPBACK and _allow_loopback() and parts.scheme in ("http", "https"):
            return f"{parts.scheme}://{parts.netloc}"
        raise ValueError("Enter the shop's myshopify.com domain, like your-store.myshopify.com.")

    # --- webhooks ---------------------------------------------------------------------------

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> Inbound:
        signature = (headers.get("X-Shopify-Hmac-Sha256") or "").strip()
        if not signature:
            raise WebhookRefused("The webhook is not signed (no X-Shopify-Hmac-Sha256).")
        secret = self.credentials.get("app_secret", "")
        if not secret:
            raise WebhookRefused("No API secret key is stored for this store.")
        expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
        if not hmac.compare_digest(expected, signature.encode("utf-8", "replace")):
            raise WebhookRefused("The X-Shopify-Hmac-Sha256 signature does not match.")
        topic = TOPICS.get((headers.get("X-Shopify-Topic") or "").strip())
        if topic is None:
            raise WebhookRefused("Nearbox did not subscribe to this topic.")
        self._check_fresh(headers.get("X-Shopify-Triggered-At"))
        delivery_id = (headers.get("X-Shopify-Webhook-Id") or "").strip()[:200]
        if not delivery_id:  # Shopify always sends it; a hash keeps a redelivery recognisable
            delivery_id = "sha256:" + hashlib.sha256(body).hexdigest()
        return Inbound(delivery_id=delivery_id, topic=topic, payload=json_body(body))

    @staticmethod
    def _check_fresh(triggered_at: str | None) -> None:
        if not triggered_at:
            return  # older API versions do not send it: the webhook id still catches replays
        moment = _when(triggered_at)
        if moment is None:
            raise WebhookRefused("X-Shopify-Triggered-At is not a time.")
        now = timezone.now()
        if moment < now - STALE_AFTER:
            raise WebhookRefused("The webhook is older than Shopify's retry period (stale).")
        if moment > now + CLOCK_SKEW:
            raise WebhookRefused("X-Shopify-Triggered-At is in the future.")

    # --- orders -----------------------------------------------------------------------------

    def order_from_payload(self, payload: Mapping[str, Any]) -> NormalizedOrder:
        if not isinstance(payload, Mapping):
            raise PayloadInvalid("The order is not a JSON object.")
        raw_id = payload.get("id")
        if isinstance(raw_id, bool) or not isinstance(raw_id, int | str):
            raise PayloadInvalid("The order has no id.")
        external_id = str(raw_id).strip()
        if not external_id.isdigit() or len(external_id) > 30:
            raise PayloadInvalid("The order's id is not a Shopify id.")
        currency = _text(payload.get("currency"), 3).upper()
        if len(currency) != 3 or not currency.isalpha():
            raise PayloadInvalid("The order has no currency.")
        address = payload.get("shipping_address")
        address = address if isinstance(address, Mapping) else {}
        customer = payload.get("customer")
        customer = customer if isinstance(customer, Mapping) else {}
        name = _text(address.get("name"), 150) or " ".join(
            p for p in (_text(address.get("first_name")), _text(address.get("last_name"))) if p
        )
        if not name:
            name = " ".join(
                p
                for p in (_text(customer.get("first_name")), _text(customer.get("last_name")))
                if p
            )
        choice = checkout_choice(self._shipping_code(payload.get("shipping_lines")))
        return NormalizedOrder(
            external_id=external_id,
            external_name=_text(payload.get("name"), 100) or f"#{external_id}",
            updated_at=_when(payload.get("updated_at")),
            cancelled=bool(payload.get("cancelled_at")),
            currency=currency,
            value_minor=_minor(payload.get("total_price") or "0", currency),
            shopper_name=name[:150],
            shopper_email=_text(payload.get("email"), 254)
            or _text(payload.get("contact_email"), 254)
            or _text(customer.get("email"), 254),
            shopper_phone=_text(address.get("phone"), 32)
            or _text(payload.get("phone"), 32)
            or _text(customer.get("phone"), 32),
            line1=_text(address.get("address1")),
            line2=_text(address.get("address2")),
            city=_text(address.get("city"), 100),
            state=_text(address.get("province_code"), 40) or _text(address.get("province"), 40),
            postal_code=_text(address.get("zip"), 12),
            country=_text(address.get("country_code"), 2).upper(),
            lines=self._lines(payload.get("line_items"), currency),
            delivery_kind=choice.delivery_kind,
            delivery_service=choice.delivery_service,
            pickup_location_ref=choice.pickup_location_ref,
            paid=_text(payload.get("financial_status"), 30) in PAID,
        )

    @staticmethod
    def _shipping_code(shipping_lines: Any) -> str:
        if isinstance(shipping_lines, list):
            for line in shipping_lines:
                if isinstance(line, Mapping) and _text(line.get("code"), 64):
                    return _text(line.get("code"), 64)
        return ""

    @staticmethod
    def _lines(items: Any, currency: str) -> tuple[NormalizedLine, ...]:
        if not isinstance(items, list):
            raise PayloadInvalid("The order has no line_items list.")
        if len(items) > MAX_LINES:
            raise PayloadInvalid(f"The order has more than {MAX_LINES} lines.")
        lines = []
        for item in items:
            if not isinstance(item, Mapping):
                raise PayloadInvalid("A line item is not an object.")
            if item.get("requires_shipping") is False or item.get("gift_card") is True:
                continue  # nothing to pick: digital goods, gift cards
            # current_quantity: after order edits and refunds; older versions only have quantity.
            quantity = item.get("current_quantity", item.get("quantity"))
            if isinstance(quantity, bool) or not isinstance(quantity, int):
                raise PayloadInvalid("A line item's quantity is not a whole number.")
            if quantity <= 0:
                continue
            if quantity > MAX_QUANTITY:
                raise PayloadInvalid(f"A line item's quantity is over {MAX_QUANTITY}.")
            lines.append(
                NormalizedLine(
                    sku=_text(item.get("sku"), 64),
                    quantity=quantity,
                    unit_value_minor=_minor(item.get("price") or "0", currency),
                    title=_text(item.get("name"), 200) or _text(item.get("title"), 200),
                )
            )
        return tuple(lines)

    # --- the Admin API ----------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.connection.shop_url}/admin/api/{API_VERSION}/{path}"

    def _call(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        ok: tuple[int, ...] = (200, 201),
    ) -> httpx.Response:
        headers = {
            "X-Shopify-Access-Token": self.credentials.get("access_token", ""),
            "Accept": "application/json",
        }
        try:
            response = self.http.request(method, url, json=json, params=params, headers=headers)
        except httpx.HTTPError as error:
            raise PlatformError(
                f"Shopify cannot be reached ({type(error).__name__}).", transient=True
            ) from None
        if response.status_code in ok:
            return response
        raise _refusal(response)

    def _json(self, response: httpx.Response, key: str) -> Any:
        try:
            data = response.json()
        except ValueError:
            raise PlatformError("Shopify answered something that is not JSON.") from None
        if not isinstance(data, Mapping) or key not in data:
            raise PlatformError(f"Shopify's answer has no {key!r}.")
        return data[key]

    def test_connection(self) -> str:
        shop = self._json(self._call("GET", self._url("shop.json")), "shop")
        if not isinstance(shop, Mapping):
            raise PlatformError("Shopify's answer has no shop.")
        name = _text(shop.get("name"), 120) or "the shop"
        domain = (
            _text(shop.get("myshopify_domain"), 200) or urlsplit(self.connection.shop_url).netloc
        )
        return f"Connected to {name} ({domain})."

    def on_connect(self) -> None:
        address = self.webhook_url()
        ids: dict[str, int] = {}
        for topic in TOPICS:
            body = {"webhook": {"topic": topic, "address": address, "format": "json"}}
            try:
                response = self._call("POST", self._url("webhooks.json"), json=body)
                made = self._json(response, "webhook")
                if not isinstance(made, Mapping) or "id" not in made:
                    raise PlatformError("Shopify's answer has no webhook id.")
                ids[topic] = made["id"]
            except PlatformError as error:
                if error.status != 422:
                    self.connection.settings = {**self.connection.settings, "webhook_ids": ids}
                    raise
                # "address for this topic has already been taken": ours from before.
                ids[topic] = self._existing_webhook(topic, address)
        self.connection.settings = {**self.connection.settings, "webhook_ids": ids}

    def _existing_webhook(self, topic: str, address: str) -> int:
        response = self._call(
            "GET", self._url("webhooks.json"), params={"topic": topic, "address": address}
        )
        for webhook in self._json(response, "webhooks") or []:
            if isinstance(webhook, Mapping) and webhook.get("address") == address:
                return webhook["id"]
        raise PlatformError(f"Shopify refused the {topic} webhook and has none for Nearbox.")

    def on_disconnect(self) -> None:
        ids = dict((self.connection.settings or {}).get("webhook_ids") or {})
        for topic, webhook_id in ids.items():
            try:
                self._call("DELETE", self._url(f"webhooks/{int(webhook_id)}.json"), ok=(200, 404))
            except (PlatformError, TypeError, ValueError) as error:
                logger.warning(
                    "shopify store %s: %s webhook not removed: %s", self.connection.pk, topic, error
                )
        self.connection.settings = {
            k: v for k, v in (self.connection.settings or {}).items() if k != "webhook_ids"
        }

    # --- write-back -------------------------------------------------------------------------

    def push_shipment(self, platform_order: PlatformOrder, shipment: Shipment, status: str) -> dict:
        written = platform_order.fulfillments.get(str(shipment.pk)) or {}
        entry: dict[str, Any] = {"status": status}
        fulfillment_id = written.get("id")
        if not fulfillment_id:
            fulfillment_id = self._create_fulfillment(platform_order.external_id, shipment)
            entry["tracking_number"] = shipment.tracking_number
        entry["id"] = fulfillment_id
        event = EVENT_STATUS.get(status)
        if event and event != written.get("event"):
            path = f"orders/{platform_order.external_id}/fulfillments/{fulfillment_id}/events.json"
            try:
                self._call("POST", self._url(path), json={"event": {"status": event}})
            except PlatformError:
                if written.get("id"):
                    raise
                # The fulfilment exists now: keep its id, and let the retry send the event.
                return {**entry, "status": ""}
            entry["event"] = event
        return entry

    def _create_fulfillment(self, order_id: str, shipment: Shipment) -> int:
        from fulfillment.tracking.notifications import tracking_url

        response = self._call("GET", self._url(f"orders/{order_id}/fulfillment_orders.json"))
        open_orders = [
            {"fulfillment_order_id": fo["id"]}
            for fo in self._json(response, "fulfillment_orders") or []
            if isinstance(fo, Mapping)
            and fo.get("id")
            and fo.get("status") in ("open", "in_progress")
            and "create_fulfillment" in (fo.get("supported_actions") or ["create_fulfillment"])
        ]
        if not open_orders:
            # Made already, if our own earlier attempt's answer was lost on the way back.
            made = self._fulfillment_with(order_id, shipment.tracking_number)
            if made is not None:
                return made
            raise PlatformError("Shopify has nothing left to fulfil on this order.")
        courier = shipment.account.courier if shipment.account_id else ""
        body = {
            "fulfillment": {
                "line_items_by_fulfillment_order": open_orders,
                "tracking_info": {
                    "number": shipment.tracking_number,
                    "company": TRACKING_COMPANY.get(courier)
                    or (shipment.account.name if shipment.account_id else "Nearbox"),
                    "url": tracking_url(shipment),
                },
                "notify_customer": True,
            }
        }
        response = self._call("POST", self._url("fulfillments.json"), json=body)
        fulfillment = self._json(response, "fulfillment")
        if not isinstance(fulfillment, Mapping) or "id" not in fulfillment:
            raise PlatformError("Shopify's answer has no fulfillment id.")
        return fulfillment["id"]

    def _fulfillment_with(self, order_id: str, tracking_number: str) -> int | None:
        """The id of the order's fulfilment carrying this tracking number, or None."""
        response = self._call("GET", self._url(f"orders/{order_id}/fulfillments.json"))
        for fulfillment in self._json(response, "fulfillments") or []:
            if not isinstance(fulfillment, Mapping) or not fulfillment.get("id"):
                continue
            numbers = fulfillment.get("tracking_numbers")
            numbers = numbers if isinstance(numbers, list) else []
            if tracking_number in (fulfillment.get("tracking_number"), *numbers):
                return fulfillment["id"]
        return None

    # --- backfill ---------------------------------------------------------------------------

    def fetch_orders(self, since: dt.datetime) -> Iterator[Mapping[str, Any]]:
        url: str | None = self._url("orders.json")
        params: dict[str, Any] | None = {
            "status": "open",
            "created_at_min": since.isoformat(),
            "limit": PAGE_LIMIT,
        }
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self._call("GET", url, params=params)
            for order in self._json(response, "orders") or []:
                if isinstance(order, Mapping):
                    yield order
            url, params = self._next_page(response.headers.get("Link", "")), None

    def _next_page(self, link: str) -> str | None:
        """The rel="next" URL of a Link header, only on the store's own host (a page_info
        cursor; the other filters travel inside it)."""
        found = NEXT_LINK.search(link or "")
        if not found:
            return None
        url = found.group(1)
        ours = urlsplit(self.connection.shop_url)
        theirs = urlsplit(url)
        if (theirs.scheme, theirs.netloc) != (ours.scheme, ours.netloc):
            raise PlatformError("Shopify's next page points to another host.")
        return url


def _refusal(response: httpx.Response) -> PlatformError:
    status = response.status_code
    try:
        errors = response.json().get("errors")
    except (ValueError, AttributeError):
        errors = None
    said = f" ({str(errors)[:200]})" if errors else ""
    if status == 401:
        detail = "Shopify refused the Admin API access token (401): check it."
    elif status == 403:
        detail = f"The app lacks an access scope Nearbox needs (403){said}."
    elif status == 404:
        detail = f"Shopify has no such shop or order (404){said}."
    elif status == 429:
        detail = "Shopify's rate limit was reached (429): trying again later."
    else:
        detail = f"Shopify answered {status}{said}."
    return PlatformError(detail, transient=status == 429 or status >= 500, status=status)
