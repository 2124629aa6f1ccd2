"""A real HTTP receiver on 127.0.0.1 (a thread) for outgoing webhooks: it records every
request and answers from a script (for example five 500s, then 204)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def document(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    fail_first: int = 0  # answer 500 to this many requests, then `ok_status`
    ok_status: int = 204
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self) -> int:
        with self.lock:
            return 500 if len(self.requests) < self.fail_first else self.ok_status

    @property
    def accepted(self) -> list[Received]:
        return [r for r in self.requests if 200 <= r.answered < 300]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            hook = state["receiver"]
            status = hook.answer()
            with hook.lock:
                hook.requests.append(Received(dict(self.headers.items()), body, status))
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args) -> None:  # quiet test output
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["receiver"] = Receiver(url=f"http://127.0.0.1:{server.server_port}/hooks")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state["receiver"]
    server.shutdown()
    server.server_close()


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """Delivery ids queued for the worker, kept here instead (tests run attempts by hand with a
    fake clock; tests/integrations/test_webhooks_worker.py uses the real worker)."""
    from integrations.webhooks.services import deliveries

    ids: list[int] = []
    monkeypatch.setattr(deliveries, "_enqueue", ids.extend)
    return ids
