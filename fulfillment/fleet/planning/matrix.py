"""Travel-time matrix sources behind one interface (#16 item 3).

- ``OfflineModel``: great-circle distance x a circuity factor (NEARBOX_FLEET_CIRCUITY, 1.3), at a
  speed per vehicle kind and hour of day (NEARBOX_FLEET_SPEEDS). No network, always answers.
- ``OsrmSource``: an OSRM server's ``table`` service (``annotations=duration,distance``).
- ``ValhallaSource``: a Valhalla server's ``sources_to_targets`` (verbose or concise answer).

A source returns (seconds, metres) as square integer matrices in the order of the places given.
A server that fails or answers something unreadable raises ``MatrixError`` with a sentence; the
planner then falls back to the offline model and notes why (``matrix_with_fallback``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

import httpx
import numpy as np
from django.conf import settings
from django.utils import timezone

from fulfillment.fleet.planning.types import Place

__all__ = [
    "MatrixError",
    "MatrixSource",
    "OfflineModel",
    "OsrmSource",
    "ValhallaSource",
    "matrix_source",
    "matrix_with_fallback",
]

EARTH_RADIUS_M = 6_371_008.8
DEFAULT_SPEEDS: dict[str, dict[str, Any]] = {
    "cargo_bike": {"kmh": 15.0, "hours": {}},
    "car": {"kmh": 30.0, "hours": {}},
    "van": {"kmh": 26.0, "hours": {}},
}
# Each server answers for at most this many places at once (OSRM's default max-table-size is 100,
# Valhalla's default matrix limit is larger); bigger problems are asked for in blocks.
BLOCK = 100


def _local(at: datetime) -> datetime:
    return timezone.localtime(at) if timezone.is_aware(at) else at


class MatrixError(Exception):
    """A matrix source could not answer; the message says why, in a sentence."""


class MatrixSource(Protocol):
    name: str

    def matrix(
        self, places: list[Place], *, vehicle_kind: str, depart_at: datetime
    ) -> tuple[list[list[int]], list[list[int]]]: ...


def _great_circle_m(places: Sequence[Place]) -> np.ndarray:
    lat = np.radians(np.array([p.latitude for p in places], dtype=float))
    lon = np.radians(np.array([p.longitude for p in places], dtype=float))
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


class OfflineModel:
    """Great-circle x circuity at the vehicle kind's speed, scaled by the hour-of-day factor."""

    name = "offline"

    def __init__(
        self, *, circuity: float | None = None, speeds: dict[str, dict[str, Any]] | None = None
    ) -> None:
        self.circuity = float(
            circuity if circuity is not None else getattr(settings, "NEARBOX_FLEET_CIRCUITY", 1.3)
        )
        self.speeds = speeds or getattr(settings, "NEARBOX_FLEET_SPEEDS", DEFAULT_SPEEDS)

    def speed_kmh(self, vehicle_kind: str, at: datetime) -> float:
        spec = self.speeds.get(vehicle_kind) or self.speeds.get("car") or DEFAULT_SPEEDS["car"]
        hours = spec.get("hours") or {}
        local = _local(at)
        factor = float(hours.get(str(local.hour), hours.get(local.hour, 1.0)))
        return max(1.0, float(spec.get("kmh", 25.0)) * factor)

    def matrix(
        self, places: list[Place], *, vehicle_kind: str, depart_at: datetime
    ) -> tuple[list[list[int]], list[list[int]]]:
        if not places:
            return [], []
        metres = _great_circle_m(places) * self.circuity
        speed_ms = self.speed_kmh(vehicle_kind, depart_at) / 3.6
        seconds = np.rint(metres / speed_ms).astype(np.int64)
        return seconds.tolist(), np.rint(metres).astype(np.int64).tolist()


class _HttpSource:
    name = "http"
    label = "Routing server"

    def __init__(self, base_url: str, *, timeout: float = 10.0, client: httpx.Client | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.client = client

    def _send(self, method: str, url: str, **kwargs: Any) -> Any:
        try:
            if self.client is not None:
                response = self.client.request(method, url, timeout=self.timeout, **kwargs)
            else:
                response = httpx.request(method, url, timeout=self.timeout, **kwargs)
        except httpx.HTTPError as exc:
            raise MatrixError(f"{self.label} did not answer ({exc.__class__.__name__})") from exc
        try:
            body = response.json()
        except ValueError as exc:
            raise MatrixError(
                f"{self.label} answered HTTP {response.status_code} that is not JSON"
            ) from exc
        if not isinstance(body, dict):
            raise MatrixError(f"{self.label} answered JSON that is not an object")
        return response.status_code, body

    def matrix(
        self, places: list[Place], *, vehicle_kind: str, depart_at: datetime
    ) -> tuple[list[list[int]], list[list[int]]]:
        n = len(places)
        if n == 0:
            return [], []
        if n <= BLOCK:
            return self._table(places, places, vehicle_kind=vehicle_kind, depart_at=depart_at)
        seconds = [[0] * n for _ in range(n)]
        metres = [[0] * n for _ in range(n)]
        for a in range(0, n, BLOCK):
            for b in range(0, n, BLOCK):
                s, m = self._table(
                    places[a : a + BLOCK],
                    places[b : b + BLOCK],
                    vehicle_kind=vehicle_kind,
                    depart_at=depart_at,
                )
                for i, (srow, mrow) in enumerate(zip(s, m, strict=True)):
                    seconds[a + i][b : b + len(srow)] = srow
                    metres[a + i][b : b + len(mrow)] = mrow
        return seconds, metres

    def _table(
        self, sources: list[Place], targets: list[Place], *, vehicle_kind: str, depart_at: datetime
    ) -> tuple[list[list[int]], list[list[int]]]:
        raise NotImplementedError


def _rect(values: Any, rows: int, cols: int, what: str, server: str) -> list[list[int]]:
    if not isinstance(values, list) or len(values) != rows:
        raise MatrixError(f"{server} answered a {what} table of the wrong size")
    out = []
    for i, row in enumerate(values):
        if not isinstance(row, list) or len(row) != cols:
            raise MatrixError(f"{server} answered a {what} table of the wrong size")
        clean = []
        for j, v in enumerate(row):
            if v is None:
                raise MatrixError(f"{server} found no route from place {i + 1} to place {j + 1}")
            if (
                isinstance(v, bool)
                or not isinstance(v, int | float)
                or not math.isfinite(v)
                or v < 0
            ):
                raise MatrixError(f"{server} answered an unreadable {what} ({v!r})")
            clean.append(round(v))
        out.append(clean)
    return out


class OsrmSource(_HttpSource):
    """GET {url}/table/v1/{profile}/{lon,lat;...}?annotations=duration,distance"""

    name = "osrm"
    label = "OSRM"
    PROFILES = {"cargo_bike": "bike", "car": "car", "van": "car"}

    def _table(
        self, sources: list[Place], targets: list[Place], *, vehicle_kind: str, depart_at: datetime
    ) -> tuple[list[list[int]], list[list[int]]]:
        same = sources is targets or sources == targets
        coords = sources if same else sources + targets
        path = ";".join(f"{p.longitude:.6f},{p.latitude:.6f}" for p in coords)
        params = {"annotations": "duration,distance"}
        if not same:
            params["sources"] = ";".join(str(i) for i in range(len(sources)))
            params["destinations"] = ";".join(str(len(sources) + i) for i in range(len(targets)))
        profile = self.PROFILES.get(vehicle_kind, "car")
        status, body = self._send(
            "GET", f"{self.base_url}/table/v1/{profile}/{path}", params=params
        )
        if body.get("code") != "Ok":
            message = body.get("message") or body.get("code") or f"HTTP {status}"
            raise MatrixError(f"OSRM refused the table: {str(message)[:200]}")
        seconds = _rect(body.get("durations"), len(sources), len(targets), "duration", "OSRM")
        if body.get("distances") is None:
            raise MatrixError("OSRM answered no distances (is annotations=distance supported?)")
        metres = _rect(body.get("distances"), len(sources), len(targets), "distance", "OSRM")
        return seconds, metres


class ValhallaSource(_HttpSource):
    """POST {url}/sources_to_targets {"sources", "targets", "costing", "units": "kilometers"}"""

    name = "valhalla"
    label = "Valhalla"
    COSTING = {"cargo_bike": "bicycle", "car": "auto", "van": "truck"}

    def _table(
        self, sources: list[Place], targets: list[Place], *, vehicle_kind: str, depart_at: datetime
    ) -> tuple[list[list[int]], list[list[int]]]:
        payload = {
            "sources": [{"lat": p.latitude, "lon": p.longitude} for p in sources],
            "targets": [{"lat": p.latitude, "lon": p.longitude} for p in targets],
            "costing": self.COSTING.get(vehicle_kind, "auto"),
            "units": "kilometers",
            # depart at (type 1), local time of the places: Valhalla's traffic model if it has one
            "date_time": {"type": 1, "value": _local(depart_at).strftime("%Y-%m-%dT%H:%M")},
        }
        status, body = self._send("POST", f"{self.base_url}/sources_to_targets", json=payload)
        if "error" in body or "error_code" in body or status >= 400:
            message = body.get("error") or body.get("status") or f"HTTP {status}"
            raise MatrixError(f"Valhalla refused the matrix: {str(message)[:200]}")
        table = body.get("sources_to_targets")
        km_per_unit = 1.609344 if body.get("units") == "miles" else 1.0
        rows, cols = len(sources), len(targets)
        if isinstance(table, dict):  # concise answer (verbose=false): flat arrays
            seconds = _rect(table.get("durations"), rows, cols, "time", "Valhalla")
            dist_raw = table.get("distances")
            if not isinstance(dist_raw, list):
                raise MatrixError("Valhalla answered no distances")
            metres = [
                [round(v * 1000 * km_per_unit) for v in row]
                for row in _rect_float(dist_raw, rows, cols)
            ]
            return seconds, metres
        if not isinstance(table, list) or len(table) != rows:
            raise MatrixError("Valhalla answered a matrix of the wrong size")
        seconds = [[0] * cols for _ in range(rows)]
        metres = [[0] * cols for _ in range(rows)]
        for i, row in enumerate(table):
            if not isinstance(row, list) or len(row) != cols:
                raise MatrixError("Valhalla answered a matrix of the wrong size")
            for j, cell in enumerate(row):
                if not isinstance(cell, dict):
                    raise MatrixError("Valhalla answered an unreadable matrix cell")
                t, d = cell.get("time"), cell.get("distance")
                if t is None or d is None:
                    raise MatrixError(
                        f"Valhalla found no route from place {i + 1} to place {j + 1}"
                    )
                fi = cell.get("from_index", i)
                tj = cell.get("to_index", j)
                if not all(
                    isinstance(x, int | float) and math.isfinite(x) and x >= 0 for x in (t, d)
                ):
                    raise MatrixError("Valhalla answered an unreadable matrix cell")
                if not (
                    isinstance(fi, int)
                    and isinstance(tj, int)
                    and 0 <= fi < rows
                    and 0 <= tj < cols
                ):
                    raise MatrixError("Valhalla answered a cell for a place it was not asked about")
                seconds[fi][tj] = round(t)
                metres[fi][tj] = round(d * 1000 * km_per_unit)
        return seconds, metres


def _rect_float(values: list, rows: int, cols: int) -> list[list[float]]:
    if len(values) != rows:
        raise MatrixError("Valhalla answered a distance table of the wrong size")
    out = []
    for row in values:
        if not isinstance(row, list) or len(row) != cols:
            raise MatrixError("Valhalla answered a distance table of the wrong size")
        for v in row:
            if v is None:
                raise MatrixError("Valhalla found no route between two places")
            if (
                isinstance(v, bool)
                or not isinstance(v, int | float)
                or not math.isfinite(v)
                or v < 0
            ):
                raise MatrixError(f"Valhalla answered an unreadable distance ({v!r})")
        out.append([float(v) for v in row])
    return out


def matrix_source() -> MatrixSource:
    """The source the settings name: OSRM when its URL is set, else Valhalla, else offline."""
    timeout = float(getattr(settings, "NEARBOX_FLEET_MATRIX_TIMEOUT", 10.0))
    osrm = getattr(settings, "NEARBOX_FLEET_OSRM_URL", "")
    if osrm:
        return OsrmSource(osrm, timeout=timeout)
    valhalla = getattr(settings, "NEARBOX_FLEET_VALHALLA_URL", "")
    if valhalla:
        return ValhallaSource(valhalla, timeout=timeout)
    return OfflineModel()


def matrix_with_fallback(
    source: MatrixSource, places: list[Place], *, vehicle_kind: str, depart_at: datetime
) -> tuple[list[list[int]], list[list[int]], str, str]:
    """(seconds, metres, name of the source used, note): a failed server falls back to the
    offline model with a note saying why."""
    try:
        seconds, metres = source.matrix(places, vehicle_kind=vehicle_kind, depart_at=depart_at)
        return seconds, metres, source.name, ""
    except MatrixError as exc:
        if isinstance(source, OfflineModel):
            raise
        offline = OfflineModel()
        seconds, metres = offline.matrix(places, vehicle_kind=vehicle_kind, depart_at=depart_at)
        return seconds, metres, offline.name, f"{exc}: the offline model was used instead"
