"""A small on-demand courier for adapter tests: a real HTTP server on 127.0.0.1 that answers
each (method, path) with a documented body from tests/fixtures/courier_payloads, in order when
a route has several answers, and records every request it got."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


class FakeCourier:
    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], list[tuple[int, bytes]]]] = []
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        courier = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                seen = Seen(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                status, body = courier.answer(seen)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def on(self, method: str, path: str, *answers: tuple[int, bytes]) -> None:
        """Answer `method path` (a regex on the path) with these (status, body), the last one
        repeated once the others are used."""
        self.routes.append((method, re.compile(path), list(answers)))

    def answer(self, seen: Seen) -> tuple[int, bytes]:
        with self._lock:
            self.seen.append(seen)
            for method, pattern, answers in self.routes:
                if method == seen.method and pattern.fullmatch(seen.path):
                    return answers.pop(0) if len(answers) > 1 else answers[0]
        return 599, b'{"error": "no route in the fake courier"}'

    def requests(self, method: str, path: str) -> list[Seen]:
        return [s for s in self.seen if s.method == method and re.fullmatch(path, s.path)]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def running_fake_courier() -> Iterator[FakeCourier]:
    """The body of each test module's `fake_courier` fixture: a fresh courier, and no OAuth
    token cached from another test."""
    from fulfillment.couriers.adapters.ondemand.oauth import forget_tokens

    forget_tokens()
    courier = FakeCourier()
    yield courier
    courier.stop()
    forget_tokens()
