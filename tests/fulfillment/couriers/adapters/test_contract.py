"""The adapter contract, for every registered adapter (ours, karrio-bridged, on-demand): read
from ADAPTERS at collection time, so a courier registered later is checked without a change
here. Capabilities match the methods an adapter implements, its credential fields are well
formed, and whatever goes wrong on the courier's side (nobody listening, junk answers) comes
back as a CourierError: track() never raises and answers every number it was asked about.

No request may leave this machine: the `local_only` fixture refuses any connection or name
lookup that is not the loopback, so an adapter that ignored its base URL fails here instead of
reaching the internet."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from fulfillment.couriers.adapters.base import (
    ADAPTERS,
    CourierAdapter,
    CredentialField,
    adapter_class,
    get_adapter,
)
from fulfillment.couriers.adapters.errors import CourierError
from fulfillment.couriers.adapters.http import CourierHttp, RetryPolicy
from fulfillment.couriers.adapters.types import Parcel, ShipmentRequest

CODES = sorted(ADAPTERS)
NUMBERS = ["1Z999AA10123456784", "JJD0000000001"]
QUICK = RetryPolicy(
    max_attempts=2, backoff_base_s=0.001, backoff_max_s=0.002, connect_timeout_s=0.5,
    read_timeout_s=1.0, retry_after_cap_s=0.01,
)  # fmt: skip
CREDENTIAL_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,40}$")  # what the account form accepts
REQUEST = ShipmentRequest(
    sender={"name": "Shop", "street": "1 Main St", "city": "Chicago", "postal_code": "60601",
            "country": "US", "phone": "+13125550100"},
    recipient={"name": "Ana", "street": "2 Elm St", "city": "Evanston", "postal_code": "60201",
               "country": "US", "phone": "+13125550101"},
    parcels=(Parcel(weight_g=500, length_mm=200, width_mm=150, height_mm=100),),
    service_code="standard", reference="NB-1", idempotency_key="contract-1",
)  # fmt: skip

# (capability, the method it promises)
PROMISES = (
    ("can_quote", "quote"),
    ("can_create_shipment", "create_shipment"),
    ("can_cancel", "cancel"),
    ("has_webhooks", "parse_webhook"),
    ("has_change_feed", "fetch_changes"),
)

JUNK: dict[str, tuple[int, dict[str, str], bytes]] = {
    "not json": (200, {"Content-Type": "application/json"}, b"<html>gateway</html>"),
    "empty object": (200, {"Content-Type": "application/json"}, b"{}"),
    "a list": (200, {"Content-Type": "application/json"}, b"[1, 2, 3]"),
    "wrong types": (200, {"Content-Type": "application/json"},
                    b'{"shipments": 5, "trackResponse": "x", "mailPieces": [], "data": 7}'),
    "xml": (200, {"Content-Type": "text/xml"}, b"<?xml version='1.0'?><a><b>junk</b></a>"),
    "server error": (503, {"Content-Type": "text/plain"}, b"down"),
    "client error junk": (400, {"Content-Type": "application/json"}, b"\x00\xff{"),
    "truncated": (200, {"Content-Type": "application/json", "Content-Length": "5000"}, b'{"a'),
}  # fmt: skip


@pytest.fixture(autouse=True)
def local_only(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def loopback(host: Any) -> bool:
        return str(host) in ("127.0.0.1", "localhost", "::1")

    def connect(sock: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple) and not loopback(address[0]):
            raise ConnectionRefusedError(f"test: no connections to {address[0]}")
        return real_connect(sock, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not loopback(host):
            raise socket.gaierror(f"test: no name lookups ({host})")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def credentials_for(code: str) -> dict[str, str]:
    return {f.name: f"test-{f.name}" for f in adapter_class(code).credential_fields}


def build(code: str, base_url: str, http: CourierHttp) -> CourierAdapter:
    return get_adapter(code, credentials=credentials_for(code), base_url=base_url, http=http)


@pytest.fixture
def quick_http() -> Iterator[CourierHttp]:
    http = CourierHttp(account_id="contract", policy=QUICK, sleep=lambda s: None)
    yield http
    http.close()


@pytest.fixture(scope="module")
def dead_url() -> str:
    """A loopback port with nobody listening: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class JunkServer:
    def __init__(self) -> None:
        self.answer = JUNK["not json"]
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def reply(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                status, headers, body = server.answer
                self.send_response(status)
                headers = {"Content-Length": str(len(body)), **headers, "Connection": "close"}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = reply

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def junk_server() -> Iterator[JunkServer]:
    server = JunkServer()
    yield server
    server.http.shutdown()
    server.http.server_close()


def overrides(cls: type[CourierAdapter], method: str) -> bool:
    return getattr(cls, method) is not getattr(CourierAdapter, method)


# --- what an adapter declares ----------------------------------------------------------------


@pytest.mark.parametrize("code", CODES)
def test_capabilities_match_the_methods_the_adapter_implements(code):
    cls = adapter_class(code)
    caps = cls.capabilities
    for capability, method in PROMISES:
        if getattr(caps, capability):
            assert overrides(cls, method), f"{code}: {capability} but {method} is the default"
    assert not caps.live_quotes or caps.can_quote, f"{code}: live quotes without quotes"
    assert isinstance(caps.track_batch_size, int) and caps.track_batch_size >= 0


@pytest.mark.parametrize("code", CODES)
def test_the_adapter_is_registered_under_its_own_code(code):
    cls = adapter_class(code)
    assert cls.code == code and len(code) <= 40  # CourierAccount.courier holds 40
    assert cls.name.strip()


@pytest.mark.parametrize("code", CODES)
def test_credential_fields_are_well_formed(code):
    fields = adapter_class(code).credential_fields
    assert isinstance(fields, tuple)
    assert all(isinstance(f, CredentialField) for f in fields)
    names = [f.name for f in fields]
    assert len(names) == len(set(names)), f"{code}: a credential field twice"
    for field in fields:
        assert CREDENTIAL_NAME.match(field.name), f"{code}: {field.name!r} is not a usable name"
        assert field.label.strip(), f"{code}: {field.name} has no label"


# --- what an adapter does when the courier fails --------------------------------------------


def assert_one_error_per_number(code: str, adapter: CourierAdapter) -> None:
    results = adapter.track(list(NUMBERS))  # must not raise
    assert isinstance(results, dict)
    if adapter.capabilities.track_batch_size == 0:
        return  # not polled: nothing to answer
    assert sorted(results) == sorted(NUMBERS), f"{code}: not one entry per number"
    for number, result in results.items():
        assert isinstance(result, CourierError), f"{code}: {number} → {result!r}"


@pytest.mark.parametrize("code", CODES)
def test_track_against_nobody_listening_answers_each_number_with_a_courier_error(
    code, dead_url, quick_http
):
    assert_one_error_per_number(code, build(code, dead_url, quick_http))


@pytest.mark.parametrize("junk", sorted(JUNK))
@pytest.mark.parametrize("code", CODES)
def test_track_against_junk_answers_each_number_with_a_courier_error(
    code, junk, junk_server, quick_http
):
    junk_server.answer = JUNK[junk]
    assert_one_error_per_number(code, build(code, junk_server.url, quick_http))


OFFLINE = ("manual", "own_fleet")  # no API behind them


def must_fail(code: str, name: str, adapter: CourierAdapter, *, nobody_there: bool) -> bool:
    """Whether this call needs the courier: then a failing courier must make it fail. Offline
    answers are allowed where they need nobody: a rate card's quote (no live quotes), and the
    manual courier and the shop's own drivers, which issue their own numbers and have nobody to
    tell about a cancel. A cancel needs no body: any 2xx says it is done."""
    if name == "quote":
        return adapter.capabilities.live_quotes
    if name == "cancel":
        return nobody_there and code not in OFFLINE
    return code not in OFFLINE


@pytest.mark.parametrize("code", CODES)
def test_every_other_call_fails_with_a_courier_error_when_the_courier_does(
    code, junk_server, dead_url, quick_http
):
    junk_server.answer = JUNK["wrong types"]
    for url in (dead_url, junk_server.url):
        adapter = build(code, url, quick_http)
        calls = (
            ("quote", adapter.quote, REQUEST),
            ("create_shipment", adapter.create_shipment, REQUEST),
            ("cancel", adapter.cancel, NUMBERS[0]),
            ("fetch_changes", adapter.fetch_changes, None),
        )
        for name, method, argument in calls:
            try:
                method(argument)
            except CourierError:
                continue  # anything else propagates and fails the test
            nobody_there = url == dead_url
            assert not must_fail(code, name, adapter, nobody_there=nobody_there), (
                f"{code}.{name} worked against {url}"
            )


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize(
    "body",
    [b"", b"junk", b"\x00\xff\xfe", b"{}", b"[]", b"null", b"<a/>", b"[" * 20_000,
     b'{"shipments": [{}]}', b'{"trackResponse": {"shipment": [5]}}', b'{"mailPieces": 3}'],
    ids=lambda b: repr(b[:20]),
)  # fmt: skip
def test_junk_documents_and_webhooks_are_refused_with_a_courier_error(code, body, quick_http):
    adapter = build(code, "http://127.0.0.1:9", quick_http)
    with pytest.raises(CourierError):
        adapter.parse_document(body)
    with pytest.raises(CourierError):  # unsigned, or unsupported: refused either way
        adapter.parse_webhook(body, {"Content-Type": "application/json"})


def test_every_registered_code_is_checked():
    assert {"dhl", "ups", "royalmail", "sandbox", "manual"} <= set(CODES)
