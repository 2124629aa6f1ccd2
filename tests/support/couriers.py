"""Courier test helpers: documented payloads (tests/fixtures/courier_payloads), replayed
couriers, a real sandbox server. The fixtures are registered for the whole suite by
tests/conftest.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fulfillment.couriers.adapters.http import CourierHttp, RetryPolicy

REPO = Path(__file__).resolve().parents[2]
PAYLOADS = REPO / "tests" / "fixtures" / "courier_payloads"
SANDBOX_KEY = "sbx-test-key-7f3a9c"
FAST_RETRIES = RetryPolicy(
    max_attempts=4, backoff_base_s=0.01, backoff_max_s=0.05, read_timeout_s=2.0
)


def payload_bytes(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def payload(name: str) -> Any:
    return json.loads(payload_bytes(name))


def replay(
    routes: dict[str, tuple[int, bytes]], seen: list[httpx.Request] | None = None
) -> httpx.MockTransport:
    """A courier that answers each path (regex) with a documented body; records the requests."""

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        for pattern, (status, body) in routes.items():
            if re.search(pattern, request.url.path):
                return httpx.Response(
                    status, content=body, headers={"Content-Type": "application/json"}
                )
        return httpx.Response(599, content=b"no route in test")

    return httpx.MockTransport(handler)


def replay_http(routes: dict[str, tuple[int, bytes]], seen: list[httpx.Request]) -> CourierHttp:
    return CourierHttp(account_id="test", transport=replay(routes, seen), policy=FAST_RETRIES)


class SandboxProcess:
    def __init__(self, proc: subprocess.Popen[str], url: str) -> None:
        self.proc, self.url = proc, url
        self.admin = httpx.Client(base_url=url, headers={"DHL-API-Key": SANDBOX_KEY}, timeout=5)

    def faults(self, **config: Any) -> dict[str, Any]:
        response = self.admin.post("/_faults", json=config)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self.admin.delete("/_faults").raise_for_status()
        self.admin.delete("/_stats").raise_for_status()

    def stats(self) -> dict[str, int]:
        return self.admin.get("/_stats").json()

    def stop(self) -> None:
        self.admin.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_sandbox(*args: str) -> SandboxProcess:
    """`python -m devtools.courier_sandbox` on a free port (it prints where it listens)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "devtools.courier_sandbox", "--port", "0",
         "--api-key", SANDBOX_KEY, *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"http://[\d.]+:\d+", line)
    if not match:
        proc.kill()
        raise RuntimeError(f"sandbox did not start: {line!r}")
    return SandboxProcess(proc, match.group(0))


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    """A fast sandbox (a day in about a second) where every parcel is simply delivered."""
    server = start_sandbox(
        "--speed", "100000", "--failed-share", "0", "--exception-share", "0", "--return-share", "0"
    )
    yield server
    server.stop()


@pytest.fixture
def fresh_sandbox(sandbox: SandboxProcess) -> SandboxProcess:
    sandbox.reset()
    return sandbox


@pytest.fixture
def sandbox_http() -> Iterator[Callable[..., CourierHttp]]:
    clients: list[CourierHttp] = []

    def make(**policy: Any) -> CourierHttp:
        settings = {**FAST_RETRIES.__dict__, **policy}
        client = CourierHttp(account_id="sandbox-test", policy=RetryPolicy(**settings))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


ADDRESS_FROM = {"name": "Shop", "city": "Chicago", "postal_code": "60601", "country": "US"}
ADDRESS_TO = {"name": "Ana", "city": "Evanston", "postal_code": "60201", "country": "US"}
