"""The courier sandbox: a standalone HTTP server that behaves like a courier (stdlib only).

    python -m devtools.courier_sandbox --port 8765 [--state-file var/sandbox.json]
        [--speed 60] [--seed 1] [--api-key KEY] [--webhook-url URL --webhook-secret S]
        [--failed-share 0.1 --exception-share 0.05 --return-share 0.03]
        [--latency-ms N --rate-429 P --rate-5xx P --rate-timeout P --rate-truncated P
         --rate-malformed P --duplicate-events --out-of-order-events]

Endpoints (all need the `DHL-API-Key` header; a wrong key is a 401 problem):
    POST   /shipments                       create (Idempotency-Key header honoured) → 201
    DELETE /shipments/{number}              cancel before pick-up → 204 (404, 409)
    POST   /shipments/{number}/redirect     {"address": {...}} before delivery → 200 (404, 409)
    POST   /shipments/{number}/reschedule   {"date": "YYYY-MM-DD"} → 200 (404, 409)
    GET    /shipments/{number}/instructions the redirect and day it was given (tests read it)
    POST   /rates                           prices per service for a parcel
    GET    /track/shipments?trackingNumber=a,b   DHL Unified tracking; 404 problem if none known
    GET    /track/changes?since=CURSOR&limit=N   new events after a cursor, with nextCursor
    POST   /soap/services/LoginService/V2_1, .../ParcelLifeCycleService/V2_0,
           .../ShipmentService/V3_3         DPD's login, tracking and orders (SOAP, dpd.py; no
                                            API key header: DPD's own login)
    GET|POST|DELETE /_faults                see faults.py
    GET|DELETE      /_stats                 request counts (tests use them)
    GET             /_ondemand              the on-demand courier's webhook counts

The on-demand courier (Stuart's API v2: /oauth/token and /v2/..., bearer tokens instead of the
DHL key) is in ondemand.py, stuart.py and ondemand_webhooks.py.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from devtools.courier_sandbox import dpd, stuart
from devtools.courier_sandbox.faults import Faults
from devtools.courier_sandbox.format import iso, problem
from devtools.courier_sandbox.ondemand import OnDemandStore
from devtools.courier_sandbox.store import SandboxStore, ShipmentConflict
from devtools.courier_sandbox.validation import validate_shipment
from devtools.courier_sandbox.webhooks import WebhookPusher

MAX_BATCH = 50
SERVICES = {  # code: (name, base price in cents, cents per started kg, hours to delivery)
    "same-day": ("Same day", 890, 60, 8),
    "next-day": ("Next day", 590, 40, 24),
    "economy": ("Economy", 390, 30, 72),
}


@dataclass
class Sandbox:
    store: SandboxStore
    faults: Faults
    api_key: str
    stats: dict[str, int]
    lock: threading.Lock
    ondemand: OnDemandStore | None = None


class SandboxHandler(BaseHTTPRequestHandler):
    server_version = "NearboxCourierSandbox/1"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    sandbox: Sandbox  # set on the subclass made by make_server

    def log_message(self, format: str, *args: Any) -> None:  # quiet by default
        pass

    # --- plumbing ----------------------------------------------------------------------------
    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            return None

    def _send(
        self,
        status: int,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        corrupt: str = "",
    ) -> None:
        content_type = "application/problem+json" if status >= 400 else "application/json"
        raw = b"" if body is None else json.dumps(body).encode()
        if corrupt == "malformed":
            raw = raw[: max(1, len(raw) // 2)] + b"<html>oops"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if corrupt == "truncated":
            # Promise the whole body, send half, hang up: the client sees a short read.
            self.wfile.write(raw[: len(raw) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(raw)

    def _problem(self, status: int, title: str, detail: str, instance: str = "") -> None:
        self._send(status, problem(status, title, detail, instance))

    # --- dispatch ----------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        sb = self.sandbox
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        path = url.path.rstrip("/")
        if path.startswith("/soap/services/"):  # DPD (dpd.py): SOAP, its own login
            self._dpd(path)
            return
        if sb.ondemand is not None and (path == "/oauth/token" or path.startswith("/v2/")):
            self._ondemand(method, path, query)  # Stuart (stuart.py): bearer tokens
            return
        key = self.headers.get("DHL-API-Key", "")
        if not hmac.compare_digest(key.encode(), sb.api_key.encode()):
            self._body()
            self._problem(401, "Unauthorized", "Missing or invalid API key (header DHL-API-Key).")
            return
        if path.startswith("/_"):
            self._admin(method, path)
            return
        endpoint = f"{method} /{path.split('/')[1] if path.count('/') else ''}"
        with sb.lock:
            for name in ("requests", endpoint):
                sb.stats[name] = sb.stats.get(name, 0) + 1
        corrupt = self._inject_faults()
        if corrupt == "done":
            return
        self._route(method, path, query, corrupt)

    def _inject_faults(self) -> str:
        faults = self.sandbox.faults
        latency = faults.config.latency_ms
        if latency:
            time.sleep(latency / 1000)
        if fault := faults.fires("timeout"):
            # One fault a request: the client has given up by the time this one wakes, and
            # must not take a fault meant for a later request (a later test's, under load).
            time.sleep(fault.sleep_s)
            return ""
        if fault := faults.fires("http_429"):
            self._body()
            self._send(
                429,
                problem(429, "Too Many Requests", "Rate limit exceeded; slow down."),
                headers={"Retry-After": str(fault.retry_after_s)},
            )
            return "done"
        if fault := faults.fires("http_5xx"):
            self._body()
            self._problem(fault.status, HTTPStatus(fault.status).phrase, "Injected failure.")
            return "done"
        if faults.fires("truncated"):
            return "truncated"
        if faults.fires("malformed"):
            return "malformed"
        return ""

    def _route(self, method: str, path: str, query: dict[str, str], corrupt: str) -> None:
        if method == "GET" and path == "/track/shipments":
            self._track(query, corrupt)
        elif method == "GET" and path == "/track/changes":
            self._changes(query, corrupt)
        elif method == "POST" and path == "/shipments":
            self._create(corrupt)
        elif method == "POST" and path == "/rates":
            self._rates(corrupt)
        elif method == "POST" and path.startswith("/shipments/") and path.count("/") == 3:
            self._instruct(*path.removeprefix("/shipments/").split("/"))
        elif method == "GET" and path.endswith("/instructions") and path.count("/") == 3:
            self._instructions(path.split("/")[2])
        elif method == "DELETE" and path.startswith("/shipments/"):
            self._cancel(path.removeprefix("/shipments/"))
        else:
            self._body()
            self._problem(404, "Not Found", f"No endpoint {method} {path}.")

    # --- endpoints ---------------------------------------------------------------------------
    def _track(self, query: dict[str, str], corrupt: str) -> None:
        store, faults = self.sandbox.store, self.sandbox.faults.config
        numbers = [n.strip() for n in query.get("trackingNumber", "").split(",") if n.strip()]
        if not numbers:
            self._problem(400, "Bad Request", "trackingNumber is required.")
            return
        if len(numbers) > MAX_BATCH:
            self._problem(400, "Bad Request", f"At most {MAX_BATCH} tracking numbers.")
            return
        shipments = []
        for number in numbers:
            shipment = store.get(number)
            if shipment is None:
                continue
            body = store.tracking_payload(shipment)
            events = body["events"]
            if faults.out_of_order_events and len(events) > 1:
                events[:] = events[1::2] + events[0::2]  # interleave: no longer newest first
            if faults.duplicate_events:
                events[:] = [e for e in events for _ in (0, 1)]
            shipments.append(body)
        if not shipments:
            self._problem(
                404,
                "No result found",
                "No shipment with given tracking number found.",
                f"/shipment/{numbers[0]}",
            )
            return
        url = f"/shipments?trackingNumber={','.join(numbers)}"
        self._send(200, {"url": url, "shipments": shipments}, corrupt=corrupt)

    def _changes(self, query: dict[str, str], corrupt: str) -> None:
        since, limit = query.get("since", "0") or "0", query.get("limit", "100")
        if not since.isdigit() or not limit.isdigit() or not 1 <= int(limit) <= 1000:
            self._problem(400, "Bad Request", "since must be a cursor and limit 1..1000.")
            return
        changes, cursor = self.sandbox.store.changes_since(int(since), int(limit))
        self._send(200, {"changes": changes, "nextCursor": str(cursor)}, corrupt=corrupt)

    def _create(self, corrupt: str) -> None:
        data = self._body()
        try:
            shipment_data = validate_shipment(data)
        except ValueError as error:
            self._problem(400, "Bad Request", str(error))
            return
        key = self.headers.get("Idempotency-Key", "")
        shipment, created = self.sandbox.store.create(shipment_data, key)
        start, end = self.sandbox.store.estimate(shipment)
        body = {
            "trackingNumber": shipment["tracking_number"],
            "service": shipment["service"],
            "reference": shipment["reference"],
            "createdAt": iso(shipment["created_at"]),
            "estimatedDeliveryTimeFrame": {
                "estimatedFrom": iso(start),
                "estimatedThrough": iso(end),
            },
        }
        self._send(201 if created else 200, body, corrupt=corrupt)

    def _rates(self, corrupt: str) -> None:
        try:
            data = validate_shipment(
                {"service": "any", "reference": "quote", **(self._body() or {})}
            )
        except (ValueError, TypeError) as error:
            self._problem(400, "Bad Request", str(error))
            return
        kilos = sum(-(-p["weight_g"] // 1000) for p in data["parcels"])
        now = time.time()
        rates = [
            {
                "service": code,
                "name": name,
                "price": base + per_kg * kilos,
                "currency": "EUR",
                "estimatedFrom": iso(now + hours * 3600 - 4 * 3600),
                "estimatedThrough": iso(now + hours * 3600),
            }
            for code, (name, base, per_kg, hours) in SERVICES.items()
        ]
        self._send(200, {"rates": rates}, corrupt=corrupt)

    def _cancel(self, number: str) -> None:
        self._body()
        try:
            cancelled = self.sandbox.store.cancel(number)
        except ShipmentConflict as error:
            self._problem(409, "Conflict", str(error))
            return
        if not cancelled:
            self._problem(404, "No result found", f"No shipment {number}.", f"/shipment/{number}")
            return
        self._send(204)

    def _instruct(self, number: str, action: str) -> None:
        data = self._body()
        if action == "redirect":
            address = data.get("address") if isinstance(data, dict) else None
            if not isinstance(address, dict) or not address.get("postal_code"):
                self._problem(400, "Bad Request", "address with a postal_code is required.")
                return
            instruction = {"redirect": {k: str(v)[:200] for k, v in address.items()}}
        elif action == "reschedule":
            day = data.get("date") if isinstance(data, dict) else None
            if not isinstance(day, str) or len(day) != 10:
                self._problem(400, "Bad Request", "date (YYYY-MM-DD) is required.")
                return
            instruction = {"delivery_date": day}
        else:
            self._problem(404, "Not Found", f"No endpoint POST /shipments/{number}/{action}.")
            return
        try:
            known = self.sandbox.store.instruct(number, **instruction)
        except ShipmentConflict as error:
            self._problem(409, "Conflict", str(error))
            return
        if not known:
            self._problem(404, "No result found", f"No shipment {number}.", f"/shipment/{number}")
            return
        self._send(200, {"trackingNumber": number, **instruction})

    def _instructions(self, number: str) -> None:
        shipment = self.sandbox.store.get(number)
        if shipment is None:
            self._problem(404, "No result found", f"No shipment {number}.", f"/shipment/{number}")
            return
        self._send(200, {"trackingNumber": number, **shipment.get("instructions", {})})

    def _dpd(self, path: str) -> None:
        sb = self.sandbox
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, dpd.MAX_BODY + 1)) if length else b""
        if length > dpd.MAX_BODY:  # the rest stays unread: this connection cannot go on
            self.close_connection = True
        with sb.lock:
            for name in ("requests", f"POST {path}"):
                sb.stats[name] = sb.stats.get(name, 0) + 1
        if self._inject_faults() == "done":
            return
        status, raw = dpd.answer(path, body, api_key=sb.api_key, store=sb.store, now=time.time())
        self.send_response(status)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _ondemand(self, method: str, path: str, query: dict[str, str]) -> None:
        """Stuart's API (stuart.py): a bearer token from /oauth/token instead of the DHL key;
        counted in /_stats and subject to the same injected faults."""
        sb, store = self.sandbox, self.sandbox.ondemand
        assert store is not None
        endpoint = f"{method} {'/v2/jobs/ID' if path[9:].split('/')[0].isdigit() else path}"
        with sb.lock:
            for name in ("requests", endpoint[:60]):
                sb.stats[name] = sb.stats.get(name, 0) + 1
        if path == "/oauth/token":
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(min(length, 65536)) if length else b""
            status, body = stuart.token(store, raw, self.headers.get("Content-Type", ""))
            self._send(status, body)
            return
        client = store.client_for(self.headers.get("Authorization", ""))
        if client is None:
            self._body()
            self._send(401, {"error": "UNAUTHORIZED", "message": "Missing or invalid token."},
                       headers={"WWW-Authenticate": 'Bearer realm="Stuart sandbox"'})  # fmt: skip
            return
        corrupt = self._inject_faults()
        if corrupt == "done":
            return
        status, body = stuart.handle(store, method, path, query, client, self._body())
        self._send(status, body, corrupt=corrupt)

    def _admin(self, method: str, path: str) -> None:
        sb = self.sandbox
        body = self._body()
        if path == "/_faults":
            if method == "POST":
                try:
                    sb.faults.update(body)
                except (ValueError, TypeError) as error:
                    self._problem(400, "Bad Request", str(error))
                    return
            elif method == "DELETE":
                sb.faults.reset()
            self._send(200, sb.faults.snapshot())
        elif path == "/_ondemand" and sb.ondemand is not None:
            with sb.lock:
                self._send(200, dict(sb.ondemand.stats))
        elif path == "/_stats":
            with sb.lock:
                if method == "DELETE":
                    sb.stats.clear()
                self._send(200, dict(sb.stats))
        else:
            self._problem(404, "Not Found", f"No endpoint {method} {path}.")


def make_server(
    host: str,
    port: int,
    *,
    store: SandboxStore,
    faults: Faults,
    api_key: str,
    webhook_url: str = "",
    webhook_secret: str = "",
    ondemand: OnDemandStore | None = None,
) -> tuple[ThreadingHTTPServer, WebhookPusher | None]:
    sandbox = Sandbox(store, faults, api_key, {}, threading.Lock(), ondemand)
    handler = type("BoundSandboxHandler", (SandboxHandler,), {"sandbox": sandbox})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    pusher = None
    if webhook_url:
        pusher = WebhookPusher(store, faults, url=webhook_url, secret=webhook_secret)
    return server, pusher
