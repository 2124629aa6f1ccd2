"""Local fake shop platforms (Shopify, WooCommerce, Saleor) for tests and the demo: stdlib
http.server in a thread on 127.0.0.1, each speaking its platform's documented endpoints and
keeping what Nearbox wrote back (fulfilments, events, notes, meta) so a test can read it.

Shared here: a JSON request handler base and `running(...)`, which serves a handler on a free
port in a daemon thread and stops it on exit.
"""

from __future__ import annotations

import contextlib
import json
import threading
import urllib.request
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_BODY = 5 * 1024 * 1024


class JsonHandler(BaseHTTPRequestHandler):
    """A handler that reads JSON bodies and answers JSON; quiet in test output."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(length, MAX_BODY)) if length else b""

    def read_json(self) -> Any:
        body = self.read_body()
        try:
            return json.loads(body) if body else {}
        except ValueError:
            return None

    def send_json(self, status: int, data: Any, headers: Mapping[str, str] | None = None) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def running(server: ThreadingHTTPServer) -> Iterator[str]:
    """Serve `server` in a daemon thread; yields its base URL (http://127.0.0.1:<port>)."""
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def post(url: str, body: bytes, headers: Mapping[str, str], timeout: float = 30) -> int:
    """POST raw bytes (a signed webhook) and return the status code, errors included."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
