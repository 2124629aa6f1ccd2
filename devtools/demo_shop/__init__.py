"""A tiny shop checkout on another origin that embeds the pickup widget (`make run`).

It is what a merchant's own site does: one script tag with the publishable key. The shop is
a WooCommerce store (the fake store of devtools/fake_platforms/woocommerce.py, served under
/wp-json/), connected to Nearbox like a real one (demo/seeders/woocommerce.py): "Place order"
stores a WooCommerce order carrying what the widget wrote into the form as Nearbox's shipping
line, and delivers the signed order.created webhook to Nearbox. Nearbox takes it in with its
task, routes it, and writes the tracking back to this store's API: the shopper's order page here
shows the note, the tracking item and "completed" once delivered. It runs outside Django on
purpose (plain http.server), so the widget is shown across origins and the order travels the
platform path exactly as a store's would.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from string import Template
from urllib.parse import parse_qs, urlsplit

from devtools.fake_platforms.woocommerce import FakeWooCommerce

PAGE = Template((Path(__file__).parent / "checkout.html").read_text(encoding="utf-8"))
LOCALES = ("en", "pl", "es")
CART = "MUG-CLASSIC:2,COFFEE-1KG:1"
# The demo products' names and prices (demo/seeders/merchant.py DEMO_PRODUCTS), in dollars.
CATALOGUE = {
    "MUG-CLASSIC": ("Classic enamel mug", "18.00"),
    "COFFEE-1KG": ("Dark roast coffee beans 1 kg", "32.00"),
}
WEBHOOK_TOPICS = ("order.created", "order.updated")
REQUIRED = {"name": "Name", "postal_code": "ZIP code"}


@dataclass(frozen=True)
class Placed:
    """The shop's order and Nearbox's answer to its webhook, or why it was not placed."""

    reference: str = ""  # "#1001"
    order_id: int | None = None
    order_key: str = ""
    error: str = ""


def cart_lines(cart: str = CART) -> list[dict]:
    return [
        {"sku": sku, "quantity": int(quantity)}
        for sku, _, quantity in (part.partition(":") for part in cart.split(","))
    ]


def checkout_rate(fields: dict[str, str]) -> str:
    """The rate code Nearbox offered for the widget's choice (integrations/platforms/types.py):
    "home:<option>", or the locker's or shop's reference."""
    kind = fields.get("nearbox_delivery_kind") or "home"
    if kind == "home":
        service = fields.get("nearbox_service_id", "")
        return f"home:{service}" if service else ""
    return fields.get("nearbox_pickup_location_ref", "")


def woo_order(fields: dict[str, str], *, checkout_id: str) -> dict:
    """A paid WooCommerce order (REST API v3 shape) from the checkout form."""
    first, _, last = fields.get("name", "").strip().partition(" ")
    address = {
        "first_name": first,
        "last_name": last.strip(),
        "company": "",
        "address_1": fields.get("line1", ""),
        "address_2": "",
        "city": fields.get("city", ""),
        "state": fields.get("state", ""),
        "postcode": fields.get("postal_code", ""),
        "country": "US",
    }
    lines, total = [], 0.0
    for n, line in enumerate(cart_lines(), start=1):
        name, price = CATALOGUE[line["sku"]]
        total += float(price) * line["quantity"]
        lines.append(
            {
                "id": n,
                "name": name,
                "sku": line["sku"],
                "quantity": line["quantity"],
                "price": float(price),
                "subtotal": f"{float(price) * line['quantity']:.2f}",
                "total": f"{float(price) * line['quantity']:.2f}",
                "meta_data": [],
            }
        )
    rate = checkout_rate(fields)
    meta = [{"key": "nearbox_rate", "value": rate}]
    if token := fields.get("nearbox_reservation_token", ""):
        meta.append({"key": "nearbox_reservation_token", "value": token})
    shipping_line = (
        {"method_id": "nearbox", "method_title": "Nearbox delivery", "total": "0.00"}
        if rate
        else {"method_id": "flat_rate", "method_title": "Flat rate", "total": "0.00"}
    )
    paid = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0).isoformat()
    return {
        "status": "processing",
        "currency": "USD",
        "order_key": f"wc_order_{checkout_id[:13]}",
        "created_via": "checkout",
        "total": f"{total:.2f}",
        "prices_include_tax": False,
        "billing": {**address, "email": fields.get("email", ""), "phone": ""},
        "shipping": address,
        "payment_method": "demo",
        "payment_method_title": "Demo payment (nothing is charged)",
        "date_paid_gmt": paid,
        "line_items": lines,
        "shipping_lines": [{"id": 1, **shipping_line, "meta_data": meta if rate else []}],
        "meta_data": [{"key": "_demo_checkout_id", "value": checkout_id}],
    }


class DemoShop:
    """The shop: its WooCommerce store and the checkouts already placed (a second click on
    "Place order" shows the first order instead of placing another)."""

    def __init__(self, store: FakeWooCommerce) -> None:
        self.store = store
        self.checkouts: dict[str, int] = {}
        self.lock = threading.Lock()

    def place_order(self, fields: dict[str, str]) -> Placed:
        missing = [label for name, label in REQUIRED.items() if not fields.get(name, "").strip()]
        if missing:
            return Placed(error=f"Please fill in: {', '.join(missing)}.")
        checkout_id = re.sub(r"[^0-9a-f]", "", fields.get("checkout_id", ""))[:32]
        checkout_id = checkout_id or secrets.token_hex(8)
        with self.lock:
            if checkout_id in self.checkouts:
                return self._placed(self.checkouts[checkout_id])
            if not self.store.webhooks:
                return Placed(error="No Nearbox connection receives this shop's orders yet.")
            order = self.store.add_order(woo_order(fields, checkout_id=checkout_id))
            self.checkouts[checkout_id] = order["id"]
        answers = self.store.send_webhook("order.created", order["id"])
        refused = [d.status for d in answers if d.status != 200]
        if refused or not answers:
            return Placed(
                reference=f"#{order['number']}",
                order_id=order["id"],
                error=f"The shop took order #{order['number']}, but Nearbox answered its webhook "
                f"with {refused[0] if refused else 'nothing'}.",
            )
        return self._placed(order["id"])

    def _placed(self, order_id: int) -> Placed:
        order = self.store.order(order_id)
        return Placed(
            reference=f"#{order['number']}", order_id=order_id, order_key=order["order_key"]
        )


def _result_section(placed: Placed | None) -> str:
    if placed is None:
        return ""
    if placed.error:
        title = "Nearbox did not take the order" if placed.order_id else "Order not placed"
        after = (
            "The shop keeps it; Nearbox's log says why."
            if placed.order_id
            else "Nothing was ordered; correct the form and place the order again."
        )
        return (
            '<section class="refused" role="alert" aria-labelledby="refused"><h2 id="refused">'
            f"{title}</h2><p>{html.escape(placed.error)}</p><p>{after}</p></section>"
        )
    link = f"/orders/{placed.order_id}?key={placed.order_key}"
    return (
        '<section class="received" role="status" aria-labelledby="received"><h2 id="received">'
        "Thank you: order received</h2><p>Your order number is <strong "
        f'id="order-reference">{html.escape(placed.reference)}</strong>. The shop sent it to '
        "Nearbox as a WooCommerce order webhook: it appears in the shop's Nearbox dashboard in "
        f'a moment. <a href="{html.escape(link)}">Follow your order</a>: the tracking number '
        "shows there once Nearbox books the parcel.</p></section>"
    )


ORDER_PAGE = Template(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>Order $number · Windy City Goods (demo shop)</title>
<style>body { margin: 0; font: 17px/1.5 Georgia, serif; color: #2b2118; background: #faf6f0; }
main { max-width: 50rem; margin: 0 auto; padding: 1rem; } li { margin: 0.3rem 0; }</style>
</head><body><main>
<h1>Order $number</h1>
<p>Status in the shop: <strong id="order-status">$status</strong>.</p>
<h2>Shipments</h2>$tracking
<h2>Messages from the shop</h2>$notes
<p><a href="/">Back to the checkout</a></p>
</main></body></html>
"""
)


def order_page(store: FakeWooCommerce, order_id: int, key: str) -> str | None:
    """What the shopper sees of their order in the store (None: no such order for this key)."""
    try:
        order = store.order(order_id)
    except KeyError:
        return None
    if not secrets.compare_digest(order.get("order_key", ""), key):
        return None
    items = store.meta(order_id, "_wc_shipment_tracking_items") or []
    tracking = "".join(
        f"<li>{html.escape(str(i.get('custom_tracking_provider') or i.get('tracking_provider')))}"
        f': <a href="{html.escape(str(i.get("custom_tracking_link", "")))}">'
        f"{html.escape(str(i.get('tracking_number', '')))}</a></li>"
        for i in items
        if isinstance(i, dict)
    )
    notes = "".join(
        f"<li>{html.escape(n['note'])}</li>"
        for n in store.notes.get(order_id, [])
        if n.get("customer_note")
    )
    return ORDER_PAGE.substitute(
        number=html.escape(f"#{order['number']}"),
        status=html.escape(str(order.get("status", ""))),
        tracking=f"<ul>{tracking}</ul>" if tracking else "<p>Not shipped yet.</p>",
        notes=f"<ul>{notes}</ul>" if notes else "<p>None yet.</p>",
    )


def checkout_page(
    *,
    nearbox_url: str,
    key: str,
    locale: str,
    placed: Placed | None = None,
    checkout_id: str = "",
) -> str:
    return PAGE.substitute(
        widget_src=html.escape(f"{nearbox_url.rstrip('/')}/pickup/widget/nearbox-widget.js"),
        key=html.escape(key),
        locale=html.escape(locale),
        cart=html.escape(CART),
        received=_result_section(placed),
        checkout_id=html.escape(checkout_id or secrets.token_hex(8)),
        locale_links=" · ".join(
            f'<a href="/?locale={code}"{" aria-current=page" if code == locale else ""}>{code}</a>'
            for code in LOCALES
        ),
    )


def demo_store(
    *,
    webhook_url: str = "",
    webhook_secret: str = "",
    consumer_key: str = "",
    consumer_secret: str = "",
) -> FakeWooCommerce:
    """The shop's WooCommerce store, its order webhooks pointing at Nearbox (what Nearbox
    registers when a store is connected). Ids start from the clock, so a restarted shop never
    reuses an order number Nearbox already knows."""
    store = FakeWooCommerce(
        consumer_key=consumer_key or secrets.token_hex(16),
        consumer_secret=consumer_secret or secrets.token_hex(16),
        site_name="Windy City Goods (demo shop)",
        first_id=int(time.time() * 1000) % 10**13,
    )
    if webhook_url and webhook_secret:
        for topic in WEBHOOK_TOPICS:
            store.add_webhook(topic, webhook_url, webhook_secret, name=f"Nearbox: {topic}")
    return store


def make_server(
    host: str, port: int, *, nearbox_url: str, key: str, store: FakeWooCommerce | None = None
) -> ThreadingHTTPServer:
    shop = DemoShop(store or demo_store())

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _page(self, placed: Placed | None) -> None:
            query = parse_qs(urlsplit(self.path).query)
            locale = query.get("locale", ["en"])[0]
            body = checkout_page(
                nearbox_url=nearbox_url,
                key=key,
                locale=locale if locale in LOCALES else "en",
                placed=placed,
            ).encode()
            status = 200 if placed is None or not placed.error else 422
            self._send(status, body, "text/html; charset=utf-8")

        def _store_api(self) -> None:
            """The shop's WooCommerce REST API, which Nearbox writes the tracking back to."""
            length = min(int(self.headers.get("Content-Length") or 0), 1_000_000)
            answer = shop.store.handle(
                self.command,
                self.path,
                self.headers,
                self.rfile.read(length) if length else b"",
                host=self.headers.get("Host", ""),
            )
            body = json.dumps(answer.body).encode()
            self._send(answer.status, body, "application/json", **answer.headers)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path.startswith("/wp-json"):
                return self._store_api()
            if match := re.fullmatch(r"/orders/(\d{1,20})", parts.path):
                key_given = parse_qs(parts.query).get("key", [""])[0]
                page = order_page(shop.store, int(match.group(1)), key_given)
                if page is None:
                    return self.send_error(404)
                return self._send(200, page.encode(), "text/html; charset=utf-8")
            if parts.path != "/":
                return self.send_error(404)
            self._page(None)

        def do_POST(self) -> None:
            if urlsplit(self.path).path.startswith("/wp-json"):
                return self._store_api()
            length = min(int(self.headers.get("Content-Length") or 0), 64_000)
            fields = parse_qs(
                self.rfile.read(length).decode(errors="replace"), keep_blank_values=True
            )
            self._page(shop.place_order({name: values[-1] for name, values in fields.items()}))

        do_PUT = do_DELETE = _store_api

        def log_message(self, format: str, *args) -> None:
            return  # honcho shows the web server's log; the shop's would be noise

    server = ThreadingHTTPServer((host, port), Handler)
    shop.store.url = f"http://{host}:{server.server_address[1]}"
    server.shop = shop  # for tests: the shop's store and checkouts
    return server
