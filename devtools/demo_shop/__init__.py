"""A tiny shop checkout on another origin that embeds the pickup widget (`make run`).

It is what a merchant's own site does: one script tag with the publishable key, and on "Place
order" a server-side `POST /api/v1/orders` with the secret key, passing on what the widget
wrote into the form (delivery kind, pickup place, the locker hold's reservation token). It runs
outside Django on purpose (plain http.server), so the widget is shown across origins and the
order goes through the public API exactly as a shop would use them.
"""

from __future__ import annotations

import html
import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from string import Template
from urllib.parse import parse_qs, urlsplit

PAGE = Template((Path(__file__).parent / "checkout.html").read_text(encoding="utf-8"))
LOCALES = ("en", "pl", "es")
CART = "MUG-CLASSIC:2,COFFEE-1KG:1"
TIMEOUT_S = 30  # order intake routes and geocodes: allow a slow machine


@dataclass(frozen=True)
class Placed:
    """What Nearbox answered to the order: its reference, or why it refused."""

    reference: str = ""
    order_id: int | None = None
    error: str = ""


def cart_lines(cart: str = CART) -> list[dict]:
    return [
        {"sku": sku, "quantity": int(quantity)}
        for sku, _, quantity in (part.partition(":") for part in cart.split(","))
    ]


def order_payload(fields: dict[str, str], *, reference: str) -> dict:
    """The order API's body from the checkout form: the shopper's fields and the widget's."""
    delivery = {
        "kind": fields.get("nearbox_delivery_kind") or "home",
        "service": fields.get("nearbox_service_id", ""),
        "pickup_location_ref": fields.get("nearbox_pickup_location_ref", ""),
        "reservation_token": fields.get("nearbox_reservation_token", ""),
    }
    return {
        "reference": reference,
        "shopper": {"name": fields.get("name", ""), "email": fields.get("email", "")},
        "destination": {
            "line1": fields.get("line1", ""),
            "city": fields.get("city", ""),
            "state": fields.get("state", ""),
            "postal_code": fields.get("postal_code", ""),
            "country": "US",
        },
        "delivery": {key: value for key, value in delivery.items() if value},
        "lines": cart_lines(),
    }


def place_order(*, nearbox_url: str, secret_key: str, fields: dict[str, str]) -> Placed:
    """Create the order on Nearbox. The form's checkout id is the Idempotency-Key, so a second
    click on "Place order" returns the first order instead of making another."""
    checkout_id = fields.get("checkout_id") or secrets.token_hex(8)
    reference = f"WCG-WEB-{checkout_id[:8].upper()}"
    request = urllib.request.Request(
        f"{nearbox_url.rstrip('/')}/api/v1/orders",
        data=json.dumps(order_payload(fields, reference=reference)).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {secret_key}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"demo-shop-{checkout_id}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            body = json.load(response)
        return Placed(reference=body.get("reference") or reference, order_id=body.get("id"))
    except urllib.error.HTTPError as exc:
        return Placed(error=_problem_text(exc))
    except (OSError, ValueError) as exc:  # refused, timed out, not JSON
        return Placed(error=f"Nearbox could not be reached at {nearbox_url} ({exc}).")


def _problem_text(exc: urllib.error.HTTPError) -> str:
    try:
        problem = json.loads(exc.read() or b"{}")
    except ValueError:
        problem = {}
    errors = problem.get("errors") or {}
    if errors:
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
    return str(problem.get("detail") or f"HTTP {exc.code} {exc.reason}")


def _result_section(placed: Placed | None) -> str:
    if placed is None:
        return ""
    if placed.error:
        return (
            '<section class="refused" role="alert" aria-labelledby="refused"><h2 id="refused">'
            "Nearbox refused the order</h2><p>"
            f"{html.escape(placed.error)}</p><p>Nothing was ordered; correct the form and place "
            "the order again.</p></section>"
        )
    return (
        '<section class="received" role="status" aria-labelledby="received"><h2 id="received">'
        "Thank you: order received</h2><p>Your order number is <strong "
        f'id="order-reference">{html.escape(placed.reference)}</strong>. The shop sees it in '
        "its Nearbox dashboard.</p></section>"
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


def make_server(
    host: str, port: int, *, nearbox_url: str, key: str, secret_key: str = ""
) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _page(self, placed: Placed | None) -> None:
            query = parse_qs(urlsplit(self.path).query)
            locale = query.get("locale", ["en"])[0]
            body = checkout_page(
                nearbox_url=nearbox_url,
                key=key,
                locale=locale if locale in LOCALES else "en",
                placed=placed,
            ).encode()
            self.send_response(200 if placed is None or not placed.error else 422)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if urlsplit(self.path).path != "/":
                self.send_error(404)
                return
            self._page(None)

        def do_POST(self) -> None:
            length = min(int(self.headers.get("Content-Length") or 0), 64_000)
            fields = parse_qs(
                self.rfile.read(length).decode(errors="replace"), keep_blank_values=True
            )
            form = {name: values[-1] for name, values in fields.items()}
            if not secret_key:
                placed = Placed(error="This demo shop was started without a secret key.")
            else:
                placed = place_order(nearbox_url=nearbox_url, secret_key=secret_key, fields=form)
            self._page(placed)

        def log_message(self, format: str, *args) -> None:
            return  # honcho shows the web server's log; the shop's would be noise

    return ThreadingHTTPServer((host, port), Handler)
