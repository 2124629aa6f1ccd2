"""WooCommerce: its REST API v3 (/wp-json/wc/v3/) with a consumer key and secret, and its
webhooks (order.created, order.updated) signed with X-WC-Webhook-Signature.

Formats (tests/fixtures/woocommerce/SOURCE.md): the WooCommerce REST API documentation (orders,
order notes, webhooks, authentication), the webhook delivery headers WooCommerce sends, and the
WooCommerce Shipment Tracking extension's order meta `_wc_shipment_tracking_items`, which
tracking plugins, the customer's "My account" page and the completed-order email read.

- Authentication: over https, HTTP Basic with the key and secret; over plain http the docs ask
  for OAuth 1.0a "one-legged" signed query parameters (the secret never travels), done here.
- Webhooks: the body's base64 HMAC-SHA256 with the webhook's secret. Nearbox registers its
  webhooks itself on connect with a secret derived from the consumer secret and the connection's
  own token, so nothing more is stored; a merchant who made webhooks by hand gives their secret.
  WooCommerce pings a new webhook's address with an unsigned `webhook_id=<id>` form body: that
  is answered 200 and not stored (WebhookPing).
- Checkout choice: Nearbox's shipping method (`method_id` "nearbox") keeps the rate the shopper
  chose in the shipping line's meta `nearbox_rate`, the same code as the Shopify CarrierService
  rate ("home:<option>", "locker:<id>", "shop:<id>", integrations/platforms/types.py).
- Write-back: on booking, a customer note with the tracking number, courier and link, and a
  Shipment Tracking item in the order meta; on delivery, the order status "completed".
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx

from fulfillment.couriers.adapters.base import CredentialField
from integrations.platforms.addresses import AddressRefused, refuse_local, refuse_local_resolved
from integrations.platforms.base import (
    ORDER_CANCELLED,
    ORDER_CREATED,
    ORDER_UPDATED,
    Inbound,
    PayloadInvalid,
    PlatformConnector,
    PlatformError,
    WebhookRefused,
)
from integrations.platforms.types import NormalizedLine, NormalizedOrder, checkout_choice

if TYPE_CHECKING:
    from fulfillment.models import Shipment
    from integrations.models import PlatformOrder

logger = logging.getLogger(__name__)

API_PATH = "/wp-json/wc/v3"
# The topics Nearbox registers; WooCommerce names them resource.event.
WEBHOOK_TOPICS = ("order.created", "order.updated")
NEARBOX_METHOD_ID = "nearbox"
NEARBOX_RATE_META = "nearbox_rate"
# The locker compartment the widget held at checkout, beside the rate in the same line's meta.
RESERVATION_META = "nearbox_reservation_token"
TRACKING_META = "_wc_shipment_tracking_items"
# processing: paid, waiting to be shipped; completed: paid and done. on-hold waits for a bank
# transfer or cheque, pending and failed for a payment: not taken in until paid.
PAID_STATUSES = frozenset({"processing", "completed"})
CANCELLED_STATUSES = frozenset({"cancelled", "refunded"})
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "CLP", "ISK", "HUF", "TWD", "VND"})
MAX_LINES = 500
MAX_QUANTITY = 100_000
MAX_JSON_DEPTH = 64
PER_PAGE = 100
MAX_PAGES = 1_000
PING = re.compile(rb"webhook_id=\d{1,20}")
DELIVERY_ID = re.compile(r"[A-Za-z0-9._:-]{1,200}")
# Statuses worth a private note for the shop's staff (the shopper already got the tracking link).
PROBLEM_STATUSES = {
    "failed_attempt": "The courier could not deliver",
    "exception": "The courier reports a problem",
    "expired": "The parcel was not collected in time",
    "returned": "The parcel is on its way back",
}


class WebhookPing(WebhookRefused):
    """WooCommerce's ping of a webhook address when the webhook is saved: to be answered 200
    (WooCommerce shows an error otherwise) and not stored."""

    answer_status = 200


class WooCommerceConnector(PlatformConnector):
    platform = "woocommerce"
    shop_url_label = "Store address"
    shop_url_help = "Your WordPress site's address, like https://shop.example.com."
    credential_fields = (
        CredentialField(
            "consumer_key",
            "Consumer key",
            help="WooCommerce → Settings → Advanced → REST API → Add key, with Read/Write "
            "permission: the key starting ck_.",
        ),
        CredentialField("consumer_secret", "Consumer secret", help="The secret starting cs_."),
        CredentialField(
            "webhook_secret",
            "Webhook secret",
            required=False,
            help="Only for webhooks you made by hand in WooCommerce → Settings → Advanced → "
            "Webhooks: their secret. Nearbox makes its own when you connect.",
        ),
    )

    @classmethod
    def normalize_shop_url(cls, value: str) -> str:
        base = super().normalize_shop_url(value)
        refuse_local(base)  # Nearbox sends the store's keys there
        return base

    # --- webhooks in --------------------------------------------------------------------

    def webhook_secret(self) -> str:
        """The secret WooCommerce signs our webhooks with: the merchant's own where given,
        else derived from the consumer secret and this connection's token (it is what
        on_connect registers, so it need not be stored anywhere)."""
        given = self.credentials.get("webhook_secret", "")
        if given:
            return given
        consumer_secret = self.credentials.get("consumer_secret", "")
        if not consumer_secret:
            return ""
        mac = hmac.new(
            consumer_secret.encode(),
            f"nearbox-woocommerce-webhook:{self.connection.webhook_token}".encode(),
            hashlib.sha256,
        )
        return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> Inbound:
        signature = (headers.get("X-WC-Webhook-Signature") or "").strip()
        if not signature:
            if PING.fullmatch(body.strip()):
                raise WebhookPing("WooCommerce's ping of a new webhook")
            raise WebhookRefused("no X-WC-Webhook-Signature header")
        secret = self.webhook_secret()
        if not secret:
            raise WebhookRefused("the store is not connected (no secret to verify with)")
        expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
        if not hmac.compare_digest(signature.encode(errors="replace"), expected):
            raise WebhookRefused("X-WC-Webhook-Signature does not match the body")
        if PING.fullmatch(body.strip()):
            raise WebhookPing("WooCommerce's ping of a new webhook")
        topic = (headers.get("X-WC-Webhook-Topic") or "").strip()
        if topic not in WEBHOOK_TOPICS:
            raise WebhookRefused(f"a topic Nearbox did not subscribe to: {topic[:40]!r}")
        payload = decode_json(body)
        # WooCommerce sends X-WC-Webhook-Delivery-ID; its documentation says X-WC-Delivery-ID.
        delivery_id = (
            headers.get("X-WC-Webhook-Delivery-ID") or headers.get("X-WC-Delivery-ID") or ""
        ).strip()
        if not DELIVERY_ID.fullmatch(delivery_id):
            # WooCommerce always sends one; without it the body's hash still catches a replay.
            delivery_id = "sha256:" + hashlib.sha256(body).hexdigest()
        status = payload.get("status")
        if status in CANCELLED_STATUSES:
            normalised = ORDER_CANCELLED
        elif topic == "order.created":
            normalised = ORDER_CREATED
        else:
            normalised = ORDER_UPDATED
        return Inbound(delivery_id=delivery_id, topic=normalised, payload=payload)

    def order_from_payload(self, payload: Mapping[str, Any]) -> NormalizedOrder:
        if not isinstance(payload, Mapping):
            raise PayloadInvalid("The order is not a JSON object.")
        external_id = _order_id(payload.get("id"))
        number = _text(payload.get("number")) or external_id
        if len(number) > 90:
            raise PayloadInvalid("The order number is longer than 90 characters.")
        status = _text(payload.get("status"))
        currency = _text(payload.get("currency")).upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise PayloadInvalid("The order has no ISO currency code (like USD).")
        shipping = _mapping(payload.get("shipping"), "shipping")
        billing = _mapping(payload.get("billing"), "billing")
        # WooCommerce copies the billing address to shipping unless the shopper ships elsewhere;
        # an order of only virtual items has no shipping address at all.
        address = shipping if _text(shipping.get("postcode")) else billing
        name = " ".join(
            part
            for part in (_text(address.get("first_name")), _text(address.get("last_name")))
            if part
        ) or _text(address.get("company"))
        choice = _checkout_choice(payload.get("shipping_lines"))
        return NormalizedOrder(
            external_id=external_id,
            external_name=f"#{number}",
            updated_at=_gmt(payload.get("date_modified_gmt") or payload.get("date_created_gmt")),
            cancelled=status in CANCELLED_STATUSES,
            currency=currency,
            value_minor=_minor(payload.get("total"), currency, "total"),
            shopper_name=name,
            shopper_email=_text(billing.get("email")),
            shopper_phone=_text(shipping.get("phone")) or _text(billing.get("phone")),
            line1=_text(address.get("address_1")),
            line2=_text(address.get("address_2")),
            city=_text(address.get("city")),
            state=_text(address.get("state")),
            postal_code=_text(address.get("postcode")),
            country=_text(address.get("country")).upper(),
            lines=_lines(payload.get("line_items"), currency),
            delivery_kind=choice.delivery_kind,
            delivery_service=choice.delivery_service,
            pickup_location_ref=choice.pickup_location_ref,
            paid=status in PAID_STATUSES,
            reservation_token=_shipping_meta(payload.get("shipping_lines"), RESERVATION_META)[:64],
        )

    # --- the REST API -------------------------------------------------------------------

    def test_connection(self) -> str:
        site = self._request("GET", "/wp-json/", api=False)
        self._request("GET", "/orders", params={"per_page": "1"})
        name = _text(site.get("name")) if isinstance(site, Mapping) else ""
        where = self.connection.shop_url
        return (
            f"Connected to {name} ({where}): the key can read orders."
            if name
            else (f"Connected to {where}: the key can read orders.")
        )

    def on_connect(self) -> None:
        self.on_disconnect()  # a reconnect replaces the webhooks made last time
        ids: dict[str, int] = {}
        for topic in WEBHOOK_TOPICS:
            made = self._request(
                "POST",
                "/webhooks",
                json={
                    "name": f"Nearbox: {topic}",
                    "topic": topic,
                    "delivery_url": self.webhook_url(),
                    "secret": self.webhook_secret(),
                    "status": "active",
                },
            )
            webhook_id = made.get("id") if isinstance(made, Mapping) else None
            if isinstance(webhook_id, bool) or not isinstance(webhook_id, int):
                raise PlatformError("WooCommerce did not say which webhook it made.")
            ids[topic] = webhook_id
            self.connection.settings = {**self.connection.settings, "webhook_ids": ids}

    def on_disconnect(self) -> None:
        ids = dict((self.connection.settings or {}).get("webhook_ids") or {})
        for topic, webhook_id in list(ids.items()):
            try:
                self._request("DELETE", f"/webhooks/{int(webhook_id)}", params={"force": "true"})
            except PlatformError as error:
                if error.status != 404:  # already gone at the store: nothing to remove
                    logger.warning(
                        "WooCommerce webhook %s of connection %s not removed: %s",
                        webhook_id,
                        self.connection.pk,
                        error.detail,
                    )
                    continue
            except (TypeError, ValueError):
                pass
            ids.pop(topic)
        self.connection.settings = {**(self.connection.settings or {}), "webhook_ids": ids}

    def push_shipment(self, platform_order: PlatformOrder, shipment: Shipment, status: str) -> dict:
        order_path = f"/orders/{_order_id(platform_order.external_id)}"
        before = dict((platform_order.fulfillments or {}).get(str(shipment.pk)) or {})
        entry = {**before, "status": status}
        if not before.get("id"):
            entry.update(self._add_tracking(order_path, shipment))
        if status == "delivered" and before.get("status") != "delivered":
            self._request("PUT", order_path, json={"status": "completed"})
            entry["completed"] = True
        elif status in PROBLEM_STATUSES and before.get("status") != status:
            text = shipment.status_text or PROBLEM_STATUSES[status]
            self._note(
                order_path,
                f"{PROBLEM_STATUSES[status]}: {text} (tracking number {shipment.tracking_number}).",
                customer=False,
            )
        return entry

    def _add_tracking(self, order_path: str, shipment: Shipment) -> dict:
        """A customer note and a Shipment Tracking item for a newly booked shipment. Each is
        looked for first, so a retry after a half-done write adds neither twice."""
        company, number = shipment.account.name, shipment.tracking_number
        link = tracking_link(shipment)
        notes = self._request("GET", f"{order_path}/notes")
        note_id = next(
            (
                n.get("id")
                for n in (notes if isinstance(notes, list) else [])
                if isinstance(n, Mapping) and number in str(n.get("note") or "")
            ),
            None,
        )
        if note_id is None:
            note_id = self._note(
                order_path,
                f"Your order is on its way with {company}. Tracking number: {number}. "
                f"Follow it at {link}",
                customer=True,
            )
        items = tracking_items(self._request("GET", order_path))
        tracking_id = next(
            (i.get("tracking_id") for i in items if i.get("tracking_number") == number), None
        )
        if not tracking_id:
            tracking_id = secrets.token_hex(16)
            shipped = shipment.booked_at or shipment.created_at
            items.append(
                {
                    "tracking_provider": "",
                    "custom_tracking_provider": company,
                    "custom_tracking_link": link,
                    "tracking_number": number,
                    "date_shipped": str(int(shipped.timestamp())),
                    "tracking_id": tracking_id,
                }
            )
            self._request(
                "PUT", order_path, json={"meta_data": [{"key": TRACKING_META, "value": items}]}
            )
        return {"id": tracking_id, "note_id": note_id}

    def _note(self, order_path: str, text: str, *, customer: bool) -> int | None:
        made = self._request(
            "POST", f"{order_path}/notes", json={"note": text, "customer_note": customer}
        )
        note_id = made.get("id") if isinstance(made, Mapping) else None
        return note_id if isinstance(note_id, int) and not isinstance(note_id, bool) else None

    def fetch_orders(self, since: dt.datetime) -> Iterator[Mapping[str, Any]]:
        after = since.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")
        for page in range(1, MAX_PAGES + 1):
            response = self._send(
                "GET",
                f"{self.connection.shop_url}{API_PATH}/orders",
                params={
                    "after": after,
                    "status": "processing",
                    "per_page": str(PER_PAGE),
                    "page": str(page),
                    "orderby": "date",
                    "order": "asc",
                },
            )
            orders = _json(response)
            if not isinstance(orders, list):
                raise PlatformError("WooCommerce answered the order list with something else.")
            yield from (order for order in orders if isinstance(order, Mapping))
            try:
                pages = int(response.headers.get("X-WP-TotalPages") or 1)
            except ValueError:
                pages = 1
            if page >= pages or not orders:
                return

    # --- HTTP ---------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        api: bool = True,
    ) -> Any:
        url = f"{self.connection.shop_url}{API_PATH if api else ''}{path}"
        return _json(self._send(method, url, params=params, json=json))

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        key = self.credentials.get("consumer_key", "")
        secret = self.credentials.get("consumer_secret", "")
        if not key or not secret:
            raise PlatformError("The store is not connected: no consumer key and secret.")
        try:
            refuse_local_resolved(url)
        except AddressRefused as error:
            raise PlatformError(f"Nearbox does not call this store: {error}") from None
        query = dict(params or {})
        auth: httpx.Auth | None = None
        if urlsplit(url).scheme == "https":
            auth = httpx.BasicAuth(key, secret)
        else:
            query = oauth1_query(method, url, query, key=key, secret=secret)
        try:
            response = self.http.request(method, url, params=query, json=json, auth=auth)
        except httpx.TimeoutException:
            raise PlatformError(
                f"WooCommerce at {self.connection.shop_url} did not answer in time.", transient=True
            ) from None
        except httpx.HTTPError as error:
            raise PlatformError(
                f"WooCommerce at {self.connection.shop_url} cannot be reached "
                f"({type(error).__name__}).",
                transient=True,
            ) from None
        if response.status_code < 400:
            return response
        raise _api_error(response)


# --- helpers (pure functions of the documented formats) -------------------------------------


def oauth1_query(
    method: str,
    url: str,
    params: Mapping[str, str],
    *,
    key: str,
    secret: str,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """`params` plus OAuth 1.0a one-legged parameters, signed with HMAC-SHA256 as WooCommerce's
    REST API expects over plain http (RFC 5849 base string; the key is the secret plus "&")."""
    query = {
        **params,
        "oauth_consumer_key": key,
        "oauth_timestamp": str(timestamp if timestamp is not None else int(time.time())),
        "oauth_nonce": nonce or secrets.token_hex(16),
        "oauth_signature_method": "HMAC-SHA256",
    }
    query["oauth_signature"] = oauth1_signature(method, url, query, secret)
    return query


def oauth1_signature(method: str, url: str, params: Mapping[str, str], secret: str) -> str:
    parts = urlsplit(url)
    base_url = f"{parts.scheme}://{parts.netloc}{parts.path}"
    merged = [*parse_qsl(parts.query, keep_blank_values=True), *params.items()]
    pairs = sorted((_encode(k), _encode(v)) for k, v in merged if k != "oauth_signature")
    normalised = "&".join(f"{k}={v}" for k, v in pairs)
    base = "&".join((method.upper(), _encode(base_url), _encode(normalised)))
    mac = hmac.new(f"{secret}&".encode(), base.encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def _encode(value: str) -> str:
    return quote(str(value), safe="~-._")


def tracking_link(shipment: Shipment) -> str:
    """The shopper's tracking page at Nearbox: it works for every courier."""
    from fulfillment.tracking.notifications import tracking_url

    return tracking_url(shipment)


def tracking_items(order: Any) -> list[dict]:
    """The Shipment Tracking items already on a WooCommerce order (its meta_data)."""
    meta = order.get("meta_data") if isinstance(order, Mapping) else None
    for entry in meta if isinstance(meta, list) else []:
        if isinstance(entry, Mapping) and entry.get("key") == TRACKING_META:
            value = entry.get("value")
            return (
                [dict(i) for i in value if isinstance(i, Mapping)]
                if isinstance(value, list)
                else []
            )
    return []


def decode_json(body: bytes) -> dict:
    """A webhook body as a JSON object, its texts storable (no NUL, no lone surrogates)."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise WebhookRefused("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise WebhookRefused("the body is not a JSON object")
    try:
        return _storable(payload, 0)
    except RecursionError:
        raise WebhookRefused("the body is nested too deeply") from None


def _storable(value: Any, depth: int) -> Any:
    if depth > MAX_JSON_DEPTH:
        raise RecursionError
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, dict):
        return {_clean(str(k)): _storable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v, depth + 1) for v in value]
    return value


def _clean(text: str) -> str:
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _api_error(response: httpx.Response) -> PlatformError:
    status = response.status_code
    try:
        message = _text(response.json().get("message"))[:200]
    except (ValueError, AttributeError):
        message = ""
    said = f" WooCommerce said: {message}" if message else ""
    if status in (401, 403):
        detail = (
            f"WooCommerce refused the key ({status}): check the consumer key and secret and "
            f"that the key has Read/Write permission.{said}"
        )
        return PlatformError(detail, status=status)
    if status == 404:
        return PlatformError(
            f"Not found at the store ({status}): is it WooCommerce, with pretty permalinks "
            f"(Settings → Permalinks not 'Plain')?{said}",
            status=status,
        )
    transient = status == 429 or status >= 500
    return PlatformError(
        f"WooCommerce answered {status}.{said}", transient=transient, status=status
    )


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise PlatformError(
            f"WooCommerce answered {response.status_code} with something that is not JSON."
        ) from None


def _text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float | str):
        return _clean(str(value)).strip()
    return ""


def _mapping(value: Any, field: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PayloadInvalid(f"The order's {field} address is not an object.")
    return value


def _order_id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PayloadInvalid("The order has no id.")
    text = str(value).strip()
    if not re.fullmatch(r"[1-9][0-9]{0,19}", text):
        raise PayloadInvalid("The order's id is not a WooCommerce order id (a positive number).")
    return text


def _gmt(value: Any) -> dt.datetime | None:
    """WooCommerce's *_gmt dates are UTC without an offset ("2017-03-22T19:28:08")."""
    text = _text(value)
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise PayloadInvalid(f"The order's date {text[:40]!r} is not a date.") from None
    if not 1900 <= moment.year < 9000:
        raise PayloadInvalid("The order's date is not between the years 1900 and 8999.")
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _minor(value: Any, currency: str, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PayloadInvalid(f"The order's {field} is not an amount.")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise PayloadInvalid(f"The order's {field} is not an amount.") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise PayloadInvalid(f"The order's {field} is not an amount between 0 and 10^12.")
    exponent = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    return int((amount * 10**exponent).to_integral_value())


def _lines(value: Any, currency: str) -> tuple[NormalizedLine, ...]:
    if not isinstance(value, list) or not value:
        raise PayloadInvalid("The order has no line items.")
    if len(value) > MAX_LINES:
        raise PayloadInvalid(f"The order has more than {MAX_LINES} line items.")
    lines = []
    for n, item in enumerate(value, start=1):
        if not isinstance(item, Mapping):
            raise PayloadInvalid(f"Line item {n} is not an object.")
        quantity = item.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise PayloadInvalid(f"Line item {n} has no whole quantity.")
        if quantity < 1:
            continue  # a line refunded to nothing ships nothing
        if quantity > MAX_QUANTITY:
            raise PayloadInvalid(f"Line item {n} has a quantity above {MAX_QUANTITY}.")
        # `price` is the unit price (a number); `total` the line's, after discounts.
        price = item.get("price")
        if price is None or isinstance(price, bool):
            unit = _minor(item.get("total"), currency, f"line item {n} total") // quantity
        else:
            unit = _minor(price, currency, f"line item {n} price")
        lines.append(
            NormalizedLine(
                sku=_text(item.get("sku")),
                quantity=quantity,
                unit_value_minor=unit,
                title=_text(item.get("name"))[:200],
            )
        )
    if not lines:
        raise PayloadInvalid("The order has no line item with a quantity.")
    return tuple(lines)


def _checkout_choice(value: Any):
    """The Nearbox rate the shopper chose (home service, locker, shop) from the shipping lines;
    any other shipping method is home delivery with the service left to our rules."""
    return checkout_choice(_shipping_meta(value, NEARBOX_RATE_META))


def _shipping_meta(value: Any, key: str) -> str:
    """A meta value of the Nearbox shipping line ("" when there is none)."""
    for line in value if isinstance(value, list) else []:
        if not isinstance(line, Mapping) or line.get("method_id") != NEARBOX_METHOD_ID:
            continue
        meta = line.get("meta_data")
        for entry in meta if isinstance(meta, list) else []:
            if isinstance(entry, Mapping) and entry.get("key") == key:
                return _text(entry.get("value"))
    return ""
