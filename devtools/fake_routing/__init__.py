"""Fake OSRM and Valhalla servers (#16) for tests and development: stdlib http.server on
127.0.0.1 answering OSRM's ``table`` service and Valhalla's ``sources_to_targets`` in their
documented formats (samples in tests/fixtures/routing/), from a simple travel model of their
own: great-circle x 1.4 at 36 km/h by car, 16 km/h by bike (different from Nearbox's offline
model, so a test can tell who answered).

Faults for tests: POST /_faults {"mode": "error" | "garbage" | "null" | "wrong_size" | "slow" |
"down"}; DELETE /_faults clears them; GET /_stats counts the matrix requests.

    python -m devtools.fake_routing --port 5001     # both APIs on one port
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["FakeRoutingServer", "running", "travel"]

CIRCUITY = 1.4
KMH = {
    "car": 36.0,
    "driving": 36.0,
    "auto": 36.0,
    "truck": 30.0,
    "bike": 16.0,
    "bicycle": 16.0,
    "cycling": 16.0,
}
MAX_TABLE = 100  # OSRM's default --max-table-size


def travel(a: tuple[float, float], b: tuple[float, float], profile: str) -> tuple[float, float]:
    """(seconds, metres) between two (lat, lon) points for a profile."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    metres = 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(h))) * CIRCUITY
    return metres / (KMH.get(profile, 36.0) / 3.6), metres


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeRoutingServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(self, status: int, body: Any, raw: bytes | None = None) -> None:
        data = raw if raw is not None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        try:
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (slow mode)
            self.close_connection = True

    def _fault(self) -> bool:
        """Apply the configured fault; True when it answered already."""
        mode = self.server.mode
        if mode == "slow":
            time.sleep(self.server.slow_seconds)
        elif mode == "down":
            self.close_connection = True
            self.connection.close()
            return True
        elif mode == "garbage":
            self._send(200, None, raw=b"<html>502 Bad Gateway</html>")
            return True
        return False

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/_stats":
            return self._send(200, dict(self.server.stats))
        parts = url.path.split("/")
        if len(parts) != 5 or parts[1] != "table" or parts[2] != "v1":
            return self._send(
                400, {"code": "InvalidUrl", "message": f"URL string malformed: {url.path}"}
            )
        self.server.count("osrm")
        if self._fault():
            return None
        if self.server.mode == "error":
            return self._send(400, {"code": "NoTable", "message": "No table found"})
        profile = parts[3]
        try:
            coords = [
                (float(c.split(",")[1]), float(c.split(",")[0]))
                for c in unquote(parts[4]).split(";")
            ]
        except (ValueError, IndexError):
            return self._send(400, {"code": "InvalidQuery", "message": "Query string malformed"})
        if any(not (-90 <= la <= 90 and -180 <= lo <= 180) for la, lo in coords):
            return self._send(400, {"code": "InvalidValue", "message": "Invalid coordinate value."})
        query = parse_qs(url.query)
        n = len(coords)
        try:
            sources = (
                [int(i) for i in query["sources"][0].split(";")]
                if "sources" in query
                else list(range(n))
            )
            dests = (
                [int(i) for i in query["destinations"][0].split(";")]
                if "destinations" in query
                else list(range(n))
            )
        except ValueError:
            return self._send(400, {"code": "InvalidQuery", "message": "Query string malformed"})
        if any(not 0 <= i < n for i in sources + dests):
            return self._send(400, {"code": "InvalidOptions", "message": "Index out of range"})
        if len(sources) * len(dests) > MAX_TABLE * MAX_TABLE:
            return self._send(400, {"code": "TooBig", "message": "Too many table coordinates"})
        annotations = (query.get("annotations") or ["duration"])[0].split(",")
        cells = [[travel(coords[i], coords[j], profile) for j in dests] for i in sources]
        body: dict[str, Any] = {"code": "Ok"}
        if "duration" in annotations:
            body["durations"] = [[round(c[0], 1) for c in row] for row in cells]
        if "distance" in annotations:
            body["distances"] = [[round(c[1], 1) for c in row] for row in cells]

        def waypoint(i: int) -> dict[str, Any]:
            return {
                "hint": "",
                "distance": 0.0,
                "name": "",
                "location": [coords[i][1], coords[i][0]],
            }

        body["sources"] = [waypoint(i) for i in sources]
        body["destinations"] = [waypoint(j) for j in dests]
        self._mangle(body, "durations")
        return self._send(200, body)

    def _mangle(self, body: dict, key: str) -> None:
        table = body.get(key) if key in body else body.get("sources_to_targets")
        if not isinstance(table, list) or not table:
            return
        if self.server.mode == "null":
            if isinstance(table[0][-1], dict):
                table[0][-1]["time"] = None
                table[0][-1]["distance"] = None
            else:
                table[0][-1] = None
        elif self.server.mode == "wrong_size":
            table.pop()

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, 5_000_000)) if length else b""
        if url.path == "/_faults":
            config = json.loads(raw or b"{}")
            self.server.mode = config.get("mode", "")
            self.server.slow_seconds = float(config.get("seconds", 3))
            return self._send(200, {"mode": self.server.mode})
        if url.path not in ("/sources_to_targets", "/matrix"):
            return self._send(
                404,
                {
                    "error_code": 106,
                    "error": "Try any of: '/sources_to_targets'",
                    "status_code": 404,
                    "status": "Not Found",
                },
            )
        self.server.count("valhalla")
        if self._fault():
            return None
        if self.server.mode == "error":
            return self._send(
                400,
                {
                    "error_code": 171,
                    "error": "No suitable edges near location",
                    "status_code": 400,
                    "status": "Bad Request",
                },
            )
        try:
            req = json.loads(raw)
            sources = [(float(p["lat"]), float(p["lon"])) for p in req["sources"]]
            targets = [(float(p["lat"]), float(p["lon"])) for p in req["targets"]]
        except (ValueError, KeyError, TypeError):
            return self._send(
                400,
                {
                    "error_code": 120,
                    "error": "Insufficient number of locations provided",
                    "status_code": 400,
                    "status": "Bad Request",
                },
            )
        costing = req.get("costing", "auto")
        miles = req.get("units") in ("miles", "mi")
        scale = 1 / 1609.344 if miles else 1 / 1000
        cells = [[travel(a, b, costing) for b in targets] for a in sources]
        units = "miles" if miles else "kilometers"
        if req.get("verbose", True) is False:
            body = {
                "sources_to_targets": {
                    "durations": [[round(c[0]) for c in row] for row in cells],
                    "distances": [[round(c[1] * scale, 3) for c in row] for row in cells],
                },
                "units": units,
            }
            table = body["sources_to_targets"]["durations"]
            if self.server.mode == "null":
                table[0][-1] = None
            elif self.server.mode == "wrong_size":
                table.pop()
            return self._send(200, body)
        body = {
            "sources_to_targets": [
                [
                    {
                        "distance": round(c[1] * scale, 3),
                        "time": round(c[0]),
                        "to_index": j,
                        "from_index": i,
                    }
                    for j, c in enumerate(row)
                ]
                for i, row in enumerate(cells)
            ],
            "sources": [[{"lon": lo, "lat": la} for la, lo in sources]],
            "targets": [[{"lon": lo, "lat": la} for la, lo in targets]],
            "units": units,
        }
        self._mangle(body, "sources_to_targets")
        return self._send(200, body)

    def do_DELETE(self) -> None:
        if urlsplit(self.path).path == "/_faults":
            self.server.mode = ""
            return self._send(200, {"mode": ""})
        return self._send(404, {"error": "not found"})


class FakeRoutingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.mode = ""
        self.slow_seconds = 3.0
        self.stats: dict[str, int] = {"osrm": 0, "valhalla": 0}
        self._lock = threading.Lock()

    def count(self, what: str) -> None:
        with self._lock:
            self.stats[what] += 1


@contextlib.contextmanager
def running(port: int = 0) -> Iterator[tuple[str, FakeRoutingServer]]:
    """Serve the fake on a free port in a daemon thread: yields (base URL, server)."""
    server = FakeRoutingServer(port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}", server
    finally:
        server.shutdown()
        server.server_close()
