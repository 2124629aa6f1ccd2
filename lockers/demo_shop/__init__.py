"""A tiny shop checkout on another origin that embeds the pickup widget (`make run`).

It is what a merchant's own site does: one script tag with the publishable key. It runs
outside Django on purpose (plain http.server), so the widget is shown across origins exactly
as a shop would use it. Posting the form shows the hidden fields the widget wrote.
"""

from __future__ import annotations

import html
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from string import Template
from urllib.parse import parse_qs, urlsplit

PAGE = Template((Path(__file__).parent / "checkout.html").read_text(encoding="utf-8"))
LOCALES = ("en", "pl", "es")
CART = "MUG-CLASSIC:2,COFFEE-1KG:1"


def checkout_page(*, nearbox_url: str, key: str, locale: str, order: dict[str, str] | None) -> str:
    rows = "".join(
        f"<tr><th scope=row>{html.escape(name)}</th><td><code>{html.escape(value)}</code></td></tr>"
        for name, value in (order or {}).items()
    )
    received = (
        f'<section class="received" aria-labelledby="received"><h2 id="received">Order '
        f"received</h2><table>{rows}</table></section>"
        if order is not None
        else ""
    )
    return PAGE.substitute(
        widget_src=html.escape(f"{nearbox_url.rstrip('/')}/pickup/widget/nearbox-widget.js"),
        key=html.escape(key),
        locale=html.escape(locale),
        cart=html.escape(CART),
        received=received,
        locale_links=" · ".join(
            f'<a href="/?locale={code}"{" aria-current=page" if code == locale else ""}>{code}</a>'
            for code in LOCALES
        ),
    )


def make_server(host: str, port: int, *, nearbox_url: str, key: str) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _page(self, order: dict[str, str] | None) -> None:
            query = parse_qs(urlsplit(self.path).query)
            locale = query.get("locale", ["en"])[0]
            body = checkout_page(
                nearbox_url=nearbox_url,
                key=key,
                locale=locale if locale in LOCALES else "en",
                order=order,
            ).encode()
            self.send_response(200)
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
            fields = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
            self._page({name: values[-1] for name, values in fields.items()})

        def log_message(self, format: str, *args) -> None:
            return  # honcho shows the web server's log; the shop's would be noise

    return ThreadingHTTPServer((host, port), Handler)
