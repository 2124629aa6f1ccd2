"""Fixtures of the lockers tests: Redis counters reset per test, and the checkout widget's
shop pages (a shop site on its own origin, with hostile CSS) and pickup network."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis
from django.conf import settings

from merchant.models import ApiKey
from tests.factories.lockers import LINCOLN_PARK, LOOP, make_bank, make_shop
from tests.factories.merchant import make_point


@pytest.fixture(autouse=True)
def fresh_counters():
    """Rate-limit windows and network versions live in Redis: start each test without them."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter("*lockers:*"):
        client.delete(key)
    from lockers.selectors import spatial

    spatial._local.clear()
    yield


HOSTILE_CSS = """
  * { all: unset; }
  div { display: none !important; }
  button, input, label, p, span { color: red !important; font-size: 40px !important; }
  .nbx-option, [role=option] { display: none !important; }
  #hostmark { color: rgb(10, 20, 30) !important; }
"""
PARCEL = 'data-weight-g="500" data-length-mm="300" data-width-mm="200" data-height-mm="50"'


class ShopPages:
    """Pages of the shop's own site, on its own origin (http://127.0.0.1:<port>)."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path.split("?")[0])
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"

    def checkout(self, path: str, *, script_src: str, key: str, extra: str = "") -> str:
        self.pages[path] = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{HOSTILE_CSS}</style></head>
<body>
  <form id="checkout" action="/done">
    <label for="email">Email</label> <input id="email" name="email" type="email">
    <div id="nearbox"></div>
    <section id="hostmark" class="nbx-option-name">The shop's own text</section>
  </form>
  <script>
    window.nearboxEvents = [];
    document.getElementById("nearbox").addEventListener("nearbox:select",
      function (event) {{ window.nearboxEvents.push(event.detail); }});
  </script>
  <script src="{script_src}" data-key="{key}" data-target="#nearbox" data-form="#checkout"
          {PARCEL} {extra}></script>
</body></html>"""
        return f"{self.origin}{path}"


@pytest.fixture
def shop_pages() -> Iterator[ShopPages]:
    pages = ShopPages()
    thread = threading.Thread(target=pages.server.serve_forever, daemon=True)
    thread.start()
    yield pages
    pages.server.shutdown()
    pages.server.server_close()


@pytest.fixture
def network(merchant_a, shop_pages, settings):
    """Two lockers and a shop near ZIP 60601, a warehouse that ships, and a key for the shop."""
    settings.NEARBOX_WIDGET_TILE_URL = ""  # no tile server in tests: the list must suffice
    merchant = merchant_a.merchant
    make_point(merchant, name="Loop warehouse", role="in_use")
    near = make_bank(merchant, at=LOOP, name="Loop Locker")
    far = make_bank(merchant, at=LINCOLN_PARK, name="Lincoln Park Locker")
    shop = make_shop(merchant, at=(41.8861, -87.6190), name="Corner Store")
    ApiKey.objects.filter(pk=merchant_a.publishable_key.api_key.pk).update(
        allowed_origins=[shop_pages.origin]
    )
    return {"near": near, "far": far, "shop": shop, "key": merchant_a.publishable_key.raw}
