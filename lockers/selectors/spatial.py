"""Per-merchant spatial indexes of the pickup network (a KD-tree over 3-D unit vectors).

Each web process keeps the indexes it built in memory and rebuilds one lazily when the
merchant's network version in the shared cache changes; services bump that version after
every committed write to banks or shops. Compartment states are not in the index: they are
checked in the database for the few nearest banks.
"""

from __future__ import annotations

import json
import math
import threading
import uuid
from dataclasses import dataclass

import numpy as np
from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import QuerySet
from scipy.spatial import cKDTree

EARTH_RADIUS_M = 6_371_008.8
VERSION_SECONDS = 60 * 60 * 24 * 30
INDEX_FIELDS = (
    "pk",
    "name",
    "address_line",
    "city",
    "state",
    "postal_code",
    "latitude",
    "longitude",
    "opening_hours",
)


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    lat_r, lon_r = np.radians(lat), np.radians(lon)
    cos_lat = np.cos(lat_r)
    return np.column_stack((cos_lat * np.cos(lon_r), cos_lat * np.sin(lon_r), np.sin(lat_r)))


def chord_to_m(chord: np.ndarray | float) -> np.ndarray | float:
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(np.asarray(chord) / 2, 1.0))


def m_to_chord(metres: float) -> float:
    return 2 * math.sin(min(metres / EARTH_RADIUS_M, math.pi) / 2)


@dataclass
class PlaceIndex:
    """The active places of one kind: rows (id, name, address, lat, lon, hours, extra...)."""

    rows: list[tuple]
    tree: cKDTree | None

    def nearest(self, lat: float, lon: float, *, k: int, max_m: float) -> list[tuple[tuple, int]]:
        """Up to k (row, distance in metres) within max_m, nearest first."""
        if self.tree is None or k <= 0:
            return []
        k = min(k, len(self.rows))
        chords, idx = self.tree.query(
            unit_vectors(np.array([lat]), np.array([lon]))[0],
            k=k,
            distance_upper_bound=m_to_chord(max_m),
        )
        chords, idx = np.atleast_1d(chords), np.atleast_1d(idx)
        found = idx < len(self.rows)
        metres = chord_to_m(chords[found])
        return [(self.rows[i], round(float(m))) for i, m in zip(idx[found], metres, strict=True)]


def build_index(rows: list[tuple], lat_col: int, lon_col: int) -> PlaceIndex:
    if not rows:
        return PlaceIndex(rows=[], tree=None)
    lat = np.fromiter((r[lat_col] for r in rows), dtype=float, count=len(rows))
    lon = np.fromiter((r[lon_col] for r in rows), dtype=float, count=len(rows))
    return PlaceIndex(rows=rows, tree=cKDTree(unit_vectors(lat, lon)))


# --- versions in the shared cache -----------------------------------------------------------


def _version_key(merchant_id: int) -> str:
    return f"lockers:network-version:{merchant_id}"


def network_version(merchant_id: int) -> str:
    cache = caches["default"]
    version = cache.get(_version_key(merchant_id))
    if version is None:
        # First reader (or the cache lost it): any version no process has built from.
        cache.add(_version_key(merchant_id), uuid.uuid4().hex, VERSION_SECONDS)
        version = cache.get(_version_key(merchant_id))
    return str(version)


def bump_network_version(merchant_id: int) -> None:
    """Mark the merchant's network changed, once the current transaction commits."""

    def bump() -> None:
        caches["default"].set(_version_key(merchant_id), uuid.uuid4().hex, VERSION_SECONDS)
        _local.pop(merchant_id, None)

    transaction.on_commit(bump)


HOURS_COL = INDEX_FIELDS.index("opening_hours")


def _rows(places: QuerySet) -> list[tuple]:
    """The rows of a values_list query, read through a plain cursor: for a national network
    the ORM's per-row conversion took five times the query's own time, and a worker answers
    nothing while it rebuilds. Opening hours repeat (most lockers have none, shops share a
    few timetables), so each distinct text is decoded once; the dicts are shared, read-only."""
    sql, params = places.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    decoded: dict[str, dict] = {}

    def hours(raw: str | dict | None) -> dict:
        if not isinstance(raw, str):
            return raw or {}
        found = decoded.get(raw)
        if found is None:
            found = decoded[raw] = json.loads(raw)
        return found

    return [(*row[:HOURS_COL], hours(row[HOURS_COL]), *row[HOURS_COL + 1 :]) for row in rows]


# --- the per-process store ----------------------------------------------------------------

_local: dict[int, tuple[str, dict[str, PlaceIndex]]] = {}
_lock = threading.Lock()


def network_indexes(merchant_id: int, version: str | None = None) -> dict[str, PlaceIndex]:
    """{"lockers": PlaceIndex, "shops": PlaceIndex} of the merchant's active places (`version`:
    the network version when the caller has read it already)."""
    from lockers.models import LockerBank, PickupShop

    version = version or network_version(merchant_id)
    held = _local.get(merchant_id)
    if held is not None and held[0] == version:
        return held[1]
    with _lock:
        held = _local.get(merchant_id)
        if held is not None and held[0] == version:
            return held[1]
        banks = _rows(
            LockerBank.objects.filter(merchant_id=merchant_id, is_active=True)
            .order_by("pk")
            .values_list(*INDEX_FIELDS, "is_24_7")
        )
        shops = _rows(
            PickupShop.objects.filter(merchant_id=merchant_id, is_active=True)
            .order_by("pk")
            .values_list(*INDEX_FIELDS, "holding_capacity")
        )
        indexes = {"lockers": build_index(banks, 6, 7), "shops": build_index(shops, 6, 7)}
        _local[merchant_id] = (version, indexes)
        return indexes
