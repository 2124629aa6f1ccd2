"""A fake WooCommerce store: the REST API v3 endpoints Nearbox calls (/wp-json/, orders, order
notes, webhooks) and signed webhook deliveries, in the formats of WooCommerce's documentation
(tests/fixtures/woocommerce/SOURCE.md).

It checks the OAuth 1.0a one-legged signature WooCommerce asks for over plain http (its own
implementation of RFC 5849, not Nearbox's, so a mistake on either side shows), keeps what Nearbox
wrote back (notes, order meta, status) and pings a new webhook's address as WooCommerce does.
`handle()` is a plain function of a request, so the demo shop serves the same store under its
own address (devtools/demo_shop).
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from devtools.fake_platforms import JsonHandler, post

API = "/wp-json/wc/v3"
TOPICS = {"order.created", "order.updated", "order.deleted", "order.restored"}
STATUSES = {
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
}
OAUTH_WINDOW_S = 15 * 60
USER_AGENT = "WooCommerce/9.4.0 Hookshot (WordPress/6.7)"


@dataclass
class Delivery:
    """One webhook delivery the store sent, and what the receiver answered."""

    webhook_id: int
    topic: str
    delivery_id: str
    status: int


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0).isoformat()


def _error(status: int, code: str, message: str) -> Answer:
    return Answer(status, {"code": code, "message": message, "data": {"status": status}})


def signature(secret: str, body: bytes) -> str:
    """X-WC-Webhook-Signature: base64 of the body's HMAC-SHA256 with the webhook's secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _rfc3986(value: str) -> str:
    return quote(value, safe="-._~")


def expected_oauth_signature(method: str, url: str, params: Mapping[str, str], secret: str) -> str:
    pairs = sorted((_rfc3986(k), _rfc3986(v)) for k, v in params.items() if k != "oauth_signature")
    parameter_string = "&".join(f"{k}={v}" for k, v in pairs)
    base = f"{method.upper()}&{_rfc3986(url)}&{_rfc3986(parameter_string)}"
    algorithm = hashlib.sha256 if params.get("oauth_signature_method") == "HMAC-SHA256" else None
    if algorithm is None:
        return ""
    mac = hmac.new(f"{secret}&".encode(), base.encode(), algorithm)
    return base64.b64encode(mac.digest()).decode()


class FakeWooCommerce:
    """The store's state; thread-safe (the HTTP server answers on threads)."""

    def __init__(
        self,
        *,
        consumer_key: str = "ck_fake_0123456789abcdef",
        consumer_secret: str = "cs_fake_0123456789abcdef",
        site_name: str = "Fake Woo Store",
        ping: bool = True,
        first_id: int = 1001,
        echo_updates: bool = False,
    ) -> None:
        self.consumer_key, self.consumer_secret = consumer_key, consumer_secret
        self.site_name = site_name
        self.ping = ping
        # WooCommerce fires order.updated for every change made through its API, Nearbox's
        # own write-back included: the echo a receiver must take calmly.
        self.echo_updates = echo_updates
        self.lock = threading.RLock()
        self.orders: dict[int, dict] = {}
        self.notes: dict[int, list[dict]] = {}
        self.webhooks: dict[int, dict] = {}
        self.secrets: dict[int, str] = {}
        self.pings: list[tuple[int, int]] = []  # (webhook id, status answered)
        self.deliveries: list[Delivery] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) of authenticated calls
        self.refused: list[str] = []  # why a call was refused (401)
        # Orders, notes and webhooks share one sequence, as WordPress posts and comments do.
        self._ids = itertools.count(first_id)
        self._nonces: set[str] = set()
        self.url = ""  # the store's address, set by serve() or by whoever mounts handle()

    # --- the store's own side (tests and the demo shop use these) -----------------------

    def add_order(self, order: Mapping[str, Any]) -> dict:
        """Store an order as WooCommerce would return it; id, number and dates are filled in."""
        with self.lock:
            stored = copy.deepcopy(dict(order))
            order_id = stored.get("id") or next(self._ids)
            now = _now()
            stored.update(id=order_id, number=str(stored.get("number") or order_id))
            stored.setdefault("date_created_gmt", now)
            stored["date_modified_gmt"] = stored.get("date_modified_gmt") or now
            stored.setdefault("meta_data", [])
            self.orders[order_id] = stored
            self.notes.setdefault(order_id, [])
            return copy.deepcopy(stored)

    def update_order(self, order_id: int, **changes: Any) -> dict:
        with self.lock:
            order = self.orders[order_id]
            order.update(copy.deepcopy(changes))
            order["date_modified_gmt"] = _later(order.get("date_modified_gmt"))
            return copy.deepcopy(order)

    def order(self, order_id: int) -> dict:
        with self.lock:
            return copy.deepcopy(self.orders[order_id])

    def meta(self, order_id: int, key: str) -> Any:
        with self.lock:
            for entry in self.orders[order_id].get("meta_data", []):
                if entry.get("key") == key:
                    return copy.deepcopy(entry.get("value"))
        return None

    def add_webhook(self, topic: str, delivery_url: str, secret: str, name: str = "") -> int:
        """A webhook saved in wp-admin (WooCommerce → Settings → Advanced → Webhooks)."""
        with self.lock:
            hook_id = next(self._ids)
            resource, _, event = topic.partition(".")
            self.webhooks[hook_id] = {
                "id": hook_id,
                "name": name or topic,
                "status": "active",
                "topic": topic,
                "resource": resource,
                "event": event,
                "hooks": [],
                "delivery_url": delivery_url,
                "date_created_gmt": _now(),
            }
            self.secrets[hook_id] = secret
            return hook_id

    def send_webhook(self, topic: str, order_id: int, *, delivery_id: str = "") -> list[Delivery]:
        """Deliver `topic` for the order to every active webhook of that topic, signed as
        WooCommerce signs (what a save in wp-admin or a checkout triggers)."""
        with self.lock:
            body = json.dumps(self.orders[order_id]).encode()
            targets = [
                (hook_id, hook, self.secrets[hook_id])
                for hook_id, hook in sorted(self.webhooks.items())
                if hook["topic"] == topic and hook["status"] == "active"
            ]
        sent = []
        for hook_id, hook, secret in targets:
            sent.append(
                self.deliver(
                    hook["delivery_url"],
                    secret=secret,
                    topic=topic,
                    body=body,
                    webhook_id=hook_id,
                    delivery_id=delivery_id,
                )
            )
        return sent

    def deliver(
        self,
        url: str,
        *,
        secret: str,
        topic: str,
        body: bytes,
        webhook_id: int = 1,
        delivery_id: str = "",
    ) -> Delivery:
        resource, _, event = topic.partition(".")
        delivery_id = delivery_id or hashlib.md5(secrets.token_bytes(16)).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-WC-Webhook-Source": f"{self.url}/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": signature(secret, body),
            "X-WC-Webhook-ID": str(webhook_id),
            "X-WC-Webhook-Delivery-ID": delivery_id,
        }
        status = post(url, body, headers)
        delivery = Delivery(webhook_id, topic, delivery_id, status)
        with self.lock:
            self.deliveries.append(delivery)
        return delivery

    # --- the REST API ---------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes, *, host: str
    ) -> Answer:
        """Answer one request to /wp-json/…; `host` is the Host header (the URL the client
        signed is http://<host><path>)."""
        parts = urlsplit(target)
        path, query = parts.path.rstrip("/") or "/", dict(parse_qsl(parts.query, True))
        if path == "/wp-json":
            return Answer(200, {"name": self.site_name, "url": self.url, "namespaces": ["wc/v3"]})
        if not path.startswith(API):
            return _error(404, "rest_no_route", "No route was found matching the URL.")
        refusal = self._authenticate(method, f"http://{host}{parts.path}", query)
        if refusal:
            with self.lock:
                self.refused.append(refusal)
            return _error(401, "woocommerce_rest_authentication_error", refusal)
        with self.lock:
            self.requests.append((method, path))
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            return _error(400, "rest_invalid_json", "Invalid JSON body passed.")
        return self._route(method, path[len(API) :], query, data)

    def _authenticate(self, method: str, url: str, query: Mapping[str, str]) -> str:
        if query.get("oauth_consumer_key") != self.consumer_key:
            return "Consumer key is invalid."
        try:
            stamp = int(query.get("oauth_timestamp", ""))
        except ValueError:
            return "Invalid timestamp."
        if abs(time.time() - stamp) > OAUTH_WINDOW_S:
            return "Invalid timestamp."
        nonce = query.get("oauth_nonce", "")
        expected = expected_oauth_signature(method, url, query, self.consumer_secret)
        given = query.get("oauth_signature", "")
        if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
            return "Invalid signature - provided signature does not match."
        with self.lock:
            if not nonce or nonce in self._nonces:
                return "Invalid nonce - nonce has already been used."
            self._nonces.add(nonce)
        return ""

    def _route(self, method: str, path: str, query: Mapping[str, str], data: Any) -> Answer:
        if path == "/orders" and method == "GET":
            return self._list_orders(query)
        if match := re.fullmatch(r"/orders/(\d+)", path):
            order_id = int(match.group(1))
            if order_id not in self.orders:
                return _error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
            if method == "GET":
                return Answer(200, self.order(order_id))
            if method in ("PUT", "POST"):
                return self._edit_order(order_id, data)
        if match := re.fullmatch(r"/orders/(\d+)/notes", path):
            order_id = int(match.group(1))
            if order_id not in self.orders:
                return _error(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.")
            if method == "GET":
                with self.lock:
                    return Answer(200, copy.deepcopy(self.notes[order_id]))
            if method == "POST":
                return self._add_note(order_id, data)
        if path == "/webhooks" and method == "POST":
            return self._add_webhook(data)
        if path == "/webhooks" and method == "GET":
            with self.lock:
                return Answer(200, [copy.deepcopy(h) for _, h in sorted(self.webhooks.items())])
        if match := re.fullmatch(r"/webhooks/(\d+)", path):
            hook_id = int(match.group(1))
            if hook_id not in self.webhooks:
                return _error(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
            if method == "GET":
                return Answer(200, copy.deepcopy(self.webhooks[hook_id]))
            if method == "DELETE":
                if query.get("force") != "true":
                    return _error(
                        501,
                        "woocommerce_rest_trash_not_supported",
                        "Webhooks do not support trashing.",
                    )
                with self.lock:
                    self.secrets.pop(hook_id, None)
                    return Answer(200, self.webhooks.pop(hook_id))
        return _error(
            404, "rest_no_route", "No route was found matching the URL and request method."
        )

    def _list_orders(self, query: Mapping[str, str]) -> Answer:
        try:
            page = max(1, int(query.get("page", "1")))
            per_page = min(100, max(1, int(query.get("per_page", "10"))))
        except ValueError:
            return _error(400, "rest_invalid_param", "Invalid parameter(s): page, per_page")
        with self.lock:
            found = sorted(self.orders.values(), key=lambda o: (o["date_created_gmt"], o["id"]))
        if status := query.get("status"):
            found = [o for o in found if o.get("status") in status.split(",")]
        if after := query.get("after"):
            found = [o for o in found if o["date_created_gmt"] > after[:19]]
        pages = max(1, -(-len(found) // per_page))
        chunk = found[(page - 1) * per_page : page * per_page]
        return Answer(
            200,
            copy.deepcopy(chunk),
            {"X-WP-Total": str(len(found)), "X-WP-TotalPages": str(pages)},
        )

    def _edit_order(self, order_id: int, data: Any) -> Answer:
        if not isinstance(data, dict):
            return _error(400, "rest_invalid_json", "Invalid JSON body passed.")
        with self.lock:
            order = self.orders[order_id]
            if "status" in data:
                if data["status"] not in STATUSES:
                    return _error(400, "rest_invalid_param", "Invalid parameter(s): status")
                order["status"] = data["status"]
                if data["status"] == "completed":
                    order["date_completed_gmt"] = _now()
            for entry in data.get("meta_data") or []:
                # WooCommerce's update_meta_data: a key given without an id replaces its value.
                metas = order.setdefault("meta_data", [])
                found = next((m for m in metas if m.get("key") == entry.get("key")), None)
                if found is None:
                    metas.append({"id": next(self._ids), **entry})
                else:
                    found["value"] = entry.get("value")
            order["date_modified_gmt"] = _later(order.get("date_modified_gmt"))
            answer = Answer(200, copy.deepcopy(order))
        if self.echo_updates:
            self.send_webhook("order.updated", order_id)
        return answer

    def _add_note(self, order_id: int, data: Any) -> Answer:
        if not isinstance(data, dict) or not isinstance(data.get("note"), str) or not data["note"]:
            return _error(400, "rest_missing_callback_param", "Missing parameter(s): note")
        note = {
            "id": next(self._ids),
            "author": "WooCommerce",
            "date_created_gmt": _now(),
            "note": data["note"],
            "customer_note": bool(data.get("customer_note")),
            "added_by_user": bool(data.get("added_by_user")),
        }
        with self.lock:
            self.notes[order_id].append(note)
        return Answer(201, copy.deepcopy(note))

    def _add_webhook(self, data: Any) -> Answer:
        if not isinstance(data, dict) or data.get("topic") not in TOPICS:
            return _error(400, "rest_invalid_param", "Invalid parameter(s): topic")
        url = data.get("delivery_url")
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            return _error(400, "rest_invalid_param", "Invalid parameter(s): delivery_url")
        resource, _, event = data["topic"].partition(".")
        with self.lock:
            hook_id = next(self._ids)
            hook = {
                "id": hook_id,
                "name": str(data.get("name") or ""),
                "status": data.get("status") or "active",
                "topic": data["topic"],
                "resource": resource,
                "event": event,
                "hooks": [],
                "delivery_url": url,
                "date_created_gmt": _now(),
            }
            self.webhooks[hook_id] = hook
            # Without a secret WooCommerce makes one the receiver cannot know.
            self.secrets[hook_id] = str(data.get("secret") or secrets.token_hex(16))
        if self.ping and hook["status"] == "active":
            # WooCommerce pings a new webhook's address: an unsigned form body.
            status = post(
                url,
                f"webhook_id={hook_id}".encode(),
                {"User-Agent": USER_AGENT, "Content-Type": "application/x-www-form-urlencoded"},
            )
            with self.lock:
                self.pings.append((hook_id, status))
        return Answer(201, copy.deepcopy(hook))

    # --- serving --------------------------------------------------------------------------

    def server(self, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
        store = self

        class Handler(JsonHandler):
            def _answer(self) -> None:
                answer = store.handle(
                    self.command,
                    self.path,
                    self.headers,
                    self.read_body(),
                    host=self.headers.get("Host", ""),
                )
                self.send_json(answer.status, answer.body, answer.headers)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

        server = ThreadingHTTPServer((host, port), Handler)
        self.url = f"http://{host}:{server.server_address[1]}"
        return server


def _later(stamp: Any) -> str:
    """A modification time after `stamp` (orders change within the same second in tests)."""
    now = _now()
    if isinstance(stamp, str) and stamp >= now:
        moment = dt.datetime.fromisoformat(stamp) + dt.timedelta(seconds=1)
        return moment.isoformat()
    return now
