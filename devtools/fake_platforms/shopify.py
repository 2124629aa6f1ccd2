"""A fake Shopify store for tests and the bench: the REST Admin API endpoints Nearbox calls, in
Shopify's documented shapes (tests/fixtures/shopify/SOURCE.md), and signed webhooks sent to
the addresses Nearbox registered.

    shop = FakeShopify(token="shpat_test", secret="shpss_test")
    with shop.serving() as base_url:          # http://127.0.0.1:<port>
        shop.add_order(order)                 # what orders.json and fulfillment_orders answer
        shop.send_webhook("orders/create", order)
        shop.fulfillments                     # what Nearbox wrote back, with their events

Endpoints (under /admin/api/<version>/): shop.json; webhooks.json (GET, POST) and
webhooks/<id>.json (DELETE); orders.json (status=open, created_at_min, limit; the next page
by a page_info cursor in the Link header); orders/<id>/fulfillment_orders.json;
fulfillments.json (POST); orders/<id>/fulfillments/<id>/events.json (POST). Every call needs
X-Shopify-Access-Token; a wrong one is Shopify's 401.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import itertools
import json
import re
import threading
import uuid
from collections.abc import Iterator, Mapping
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from devtools.fake_platforms import JsonHandler, post, running

API_PATH = re.compile(r"^/admin/api/(?P<version>[0-9]{4}-[0-9]{2}|unstable)/(?P<rest>.+)$")
EVENT_STATUSES = frozenset(
    {
        "label_printed",
        "label_purchased",
        "attempted_delivery",
        "ready_for_pickup",
        "picked_up",
        "confirmed",
        "in_transit",
        "out_for_delivery",
        "delivered",
        "failure",
    }
)
TOPICS = frozenset({"orders/create", "orders/updated", "orders/cancelled", "app/uninstalled"})


def sign(body: bytes, secret: str) -> str:
    """X-Shopify-Hmac-Sha256: the base64 HMAC-SHA256 of the raw body with the app secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def webhook_headers(
    topic: str,
    body: bytes,
    *,
    secret: str,
    shop_domain: str = "fake-store.myshopify.com",
    webhook_id: str | None = None,
    triggered_at: dt.datetime | None = None,
    api_version: str = "2024-10",
) -> dict[str, str]:
    """The headers Shopify sends with a webhook delivery."""
    moment = triggered_at or dt.datetime.now(dt.UTC)
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, secret),
        "X-Shopify-Shop-Domain": shop_domain,
        "X-Shopify-API-Version": api_version,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-Triggered-At": moment.isoformat().replace("+00:00", "Z"),
    }


class FakeShopify:
    """One store's state; thread-safe (the server answers on several threads)."""

    def __init__(self, *, token: str = "shpat_fake", secret: str = "shpss_fake") -> None:
        self.token, self.secret = token, secret
        self.name = "Fake Store"
        self.domain = "fake-store.myshopify.com"
        self.orders: dict[int, dict] = {}
        self.fulfillment_orders: dict[int, list[dict]] = {}
        self.fulfillments: dict[int, dict] = {}  # id → fulfillment with "events": [...]
        self.webhooks: dict[int, dict] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path?query) of every call
        # Status codes to answer the next calls with (None: answer that call normally).
        self.fail_next: list[int | None] = []
        # API paths (after the version) whose next call is done and then answered 502, as when
        # Shopify's answer is lost on the way back.
        self.lose_answer_of: list[str] = []
        self.base_url = ""
        self._ids = itertools.count(1_000_000_001)
        self._lock = threading.Lock()

    # --- the store's side ---------------------------------------------------------------------

    def add_order(self, order: Mapping[str, Any]) -> dict:
        """Keep an order (a webhook payload shape) and make its open fulfillment order."""
        order = json.loads(json.dumps(order))
        with self._lock:
            self.orders[int(order["id"])] = order
            self.fulfillment_orders[int(order["id"])] = [
                {
                    "id": next(self._ids),
                    "order_id": int(order["id"]),
                    "assigned_location_id": 24826418,
                    "request_status": "unsubmitted",
                    "status": "open",
                    "supported_actions": ["create_fulfillment", "move"],
                    "line_items": [
                        {
                            "id": next(self._ids),
                            "line_item_id": item.get("id"),
                            "quantity": item.get("quantity", 1),
                            "fulfillable_quantity": item.get("quantity", 1),
                        }
                        for item in order.get("line_items", [])
                    ],
                }
            ]
        return order

    def fulfillments_of(self, order_id: int | str) -> list[dict]:
        with self._lock:
            return [f for f in self.fulfillments.values() if f["order_id"] == int(order_id)]

    def webhook_body_and_headers(
        self, topic: str, order: Mapping[str, Any], **header_options: Any
    ) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(order).encode()
        headers = webhook_headers(
            topic, body, secret=header_options.pop("secret", self.secret), **header_options
        )
        return body, headers

    def send_webhook(
        self, topic: str, order: Mapping[str, Any], *, address: str | None = None, **options: Any
    ) -> int:
        """POST a signed delivery to `address`, or to the address registered for `topic`;
        returns the HTTP status Nearbox answered."""
        if address is None:
            with self._lock:
                found = [w["address"] for w in self.webhooks.values() if w["topic"] == topic]
            if not found:
                raise LookupError(f"no webhook registered for {topic}")
            address = found[0]
        body, headers = self.webhook_body_and_headers(
            topic, order, shop_domain=self.domain, **options
        )
        return post(address, body, headers)

    @contextlib.contextmanager
    def serving(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        shop = self

        class Handler(JsonHandler):
            def do_GET(self) -> None:
                shop._answer(self, "GET")

            def do_POST(self) -> None:
                shop._answer(self, "POST")

            def do_DELETE(self) -> None:
                shop._answer(self, "DELETE")

        with running(ThreadingHTTPServer((host, port), Handler)) as base_url:
            self.base_url = base_url
            yield base_url

    # --- the API ------------------------------------------------------------------------------

    def _answer(self, handler: JsonHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        self.requests.append((method, handler.path))
        body = handler.read_json() if method == "POST" else {}
        status = self.fail_next.pop(0) if self.fail_next else None
        if status is not None:
            return handler.send_json(status, {"errors": f"Fake failure {status}"})
        if handler.headers.get("X-Shopify-Access-Token") != self.token:
            return handler.send_json(
                401,
                {
                    "errors": "[API] Invalid API key or access token "
                    "(unrecognized login or wrong password)"
                },
            )
        matched = API_PATH.match(parts.path)
        if matched is None:
            return handler.send_json(404, {"errors": "Not Found"})
        if body is None:
            return handler.send_json(400, {"errors": "Invalid JSON"})
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        status, data, headers = self._route(method, matched["rest"], query, body)
        if matched["rest"] in self.lose_answer_of:
            self.lose_answer_of.remove(matched["rest"])
            return handler.send_json(502, {"errors": "Bad Gateway"})
        handler.send_json(status, data, headers)

    def _route(
        self, method: str, rest: str, query: dict[str, str], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            if (method, rest) == ("GET", "shop.json"):
                return 200, {"shop": {"name": self.name, "myshopify_domain": self.domain}}, {}
            if rest == "webhooks.json":
                return self._webhooks(method, query, body)
            if m := re.fullmatch(r"webhooks/(\d+)\.json", rest):
                if method != "DELETE" or self.webhooks.pop(int(m[1]), None) is None:
                    return 404, {"errors": "Not Found"}, {}
                return 200, {}, {}
            if (method, rest) == ("GET", "orders.json"):
                return self._orders_page(query)
            if m := re.fullmatch(r"orders/(\d+)/fulfillment_orders\.json", rest):
                return 200, {"fulfillment_orders": self.fulfillment_orders.get(int(m[1]), [])}, {}
            if method == "GET" and (m := re.fullmatch(r"orders/(\d+)/fulfillments\.json", rest)):
                found = [
                    {k: v for k, v in f.items() if k != "events"}
                    for f in self.fulfillments.values()
                    if f["order_id"] == int(m[1])
                ]
                return 200, {"fulfillments": found}, {}
            if (method, rest) == ("POST", "fulfillments.json"):
                return self._fulfil(body)
            if m := re.fullmatch(r"orders/(\d+)/fulfillments/(\d+)/events\.json", rest):
                return self._event(int(m[1]), int(m[2]), body)
        return 404, {"errors": "Not Found"}, {}

    def _webhooks(self, method: str, query: dict, body: Any) -> tuple[int, Any, dict]:
        if method == "GET":
            found = [
                w
                for w in self.webhooks.values()
                if query.get("topic") in (None, w["topic"])
                and query.get("address") in (None, w["address"])
            ]
            return 200, {"webhooks": found}, {}
        webhook = body.get("webhook") if isinstance(body, dict) else None
        if not isinstance(webhook, dict) or webhook.get("topic") not in TOPICS:
            return 422, {"errors": {"topic": ["Invalid topic specified."]}}, {}
        address = webhook.get("address")
        if any(
            w["topic"] == webhook["topic"] and w["address"] == address
            for w in self.webhooks.values()
        ):
            return 422, {"errors": {"address": ["for this topic has already been taken"]}}, {}
        made = {
            "id": next(self._ids),
            "address": address,
            "topic": webhook["topic"],
            "format": webhook.get("format", "json"),
            "api_version": "2024-10",
        }
        self.webhooks[made["id"]] = made
        return 201, {"webhook": made}, {}

    def _orders_page(self, query: dict[str, str]) -> tuple[int, Any, dict]:
        limit = min(int(query.get("limit", 50)), 250)
        cursor = query.get("page_info")
        if cursor:  # Shopify: page_info carries the other filters
            state = json.loads(base64.urlsafe_b64decode(cursor))
            since, offset = state["since"], state["offset"]
        else:
            since, offset = query.get("created_at_min", ""), 0
        wanted = sorted(
            (
                o
                for o in self.orders.values()
                if not o.get("cancelled_at")
                and not o.get("closed_at")
                and (not since or _moment(o.get("created_at")) >= _moment(since))
            ),
            key=lambda o: o["id"],
        )
        page = wanted[offset : offset + limit]
        headers = {}
        if offset + limit < len(wanted):
            state = {"since": since, "offset": offset + limit}
            token = base64.urlsafe_b64encode(json.dumps(state).encode()).decode()
            url = f"{self.base_url}/admin/api/2024-10/orders.json?limit={limit}&page_info={token}"
            headers["Link"] = f'<{url}>; rel="next"'
        return 200, {"orders": page}, headers

    def _fulfil(self, body: Any) -> tuple[int, Any, dict]:
        fulfillment = body.get("fulfillment") if isinstance(body, dict) else None
        groups = (fulfillment or {}).get("line_items_by_fulfillment_order")
        if not isinstance(groups, list) or not groups:
            return 400, {"errors": {"fulfillment": "Required parameter missing or invalid"}}, {}
        wanted = {g.get("fulfillment_order_id") for g in groups if isinstance(g, dict)}
        found = [
            (order_id, fo)
            for order_id, fos in self.fulfillment_orders.items()
            for fo in fos
            if fo["id"] in wanted
        ]
        if len(found) != len(wanted) or any(fo["status"] != "open" for _, fo in found):
            return 422, {"errors": ["Fulfillment order is not open"]}, {}
        for _, fo in found:
            fo["status"] = "closed"
            fo["supported_actions"] = []
        tracking = fulfillment.get("tracking_info") or {}
        made = {
            "id": next(self._ids),
            "order_id": found[0][0],
            "status": "success",
            "shipment_status": None,
            "tracking_company": tracking.get("company"),
            "tracking_number": tracking.get("number"),
            "tracking_numbers": [tracking["number"]] if tracking.get("number") else [],
            "tracking_url": tracking.get("url"),
            "notify_customer": bool(fulfillment.get("notify_customer")),
            "events": [],
        }
        self.fulfillments[made["id"]] = made
        return 201, {"fulfillment": {k: v for k, v in made.items() if k != "events"}}, {}

    def _event(self, order_id: int, fulfillment_id: int, body: Any) -> tuple[int, Any, dict]:
        fulfillment = self.fulfillments.get(fulfillment_id)
        if fulfillment is None or fulfillment["order_id"] != order_id:
            return 404, {"errors": "Not Found"}, {}
        event = body.get("event") if isinstance(body, dict) else None
        status = (event or {}).get("status")
        if status not in EVENT_STATUSES:
            return 422, {"errors": {"status": ["is not included in the list"]}}, {}
        made = {
            "id": next(self._ids),
            "fulfillment_id": fulfillment_id,
            "order_id": order_id,
            "status": status,
        }
        fulfillment["events"].append(made)
        fulfillment["shipment_status"] = status
        return 201, {"fulfillment_event": made}, {}


def _moment(value: Any) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
