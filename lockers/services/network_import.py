"""Import locker banks and pickup shops from CSV or GeoJSON: every line (or feature) is
checked first, errors name it and its column, and the whole file is written in one
transaction, or nothing is.

CSV columns (header required, any order): kind (locker|shop), ref, name, address_line, city,
postal_code; optional: state, country, network, operator, latitude, longitude, opening_hours
(JSON, or "24/7"), compartments (lockers, e.g. "S:12,M:8,L:4"), holding_capacity,
staff_name, staff_phone, staff_email, active (yes/no).
GeoJSON: a FeatureCollection of Point features whose properties carry the same names.
Rows without coordinates are placed at their postal code's centroid by the geocoder.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from lockers.models import LockerBank, PickupShop
from lockers.selectors.spatial import bump_network_version
from lockers.services.network import add_compartments
from merchant.models import Merchant
from merchant.services.geocoding import GeocodingError, geocode
from merchant.services.points import opening_hours_problems

REQUIRED = ["kind", "ref", "name", "address_line", "city", "postal_code"]
OPTIONAL = [
    "state",
    "country",
    "network",
    "operator",
    "latitude",
    "longitude",
    "opening_hours",
    "compartments",
    "holding_capacity",
    "staff_name",
    "staff_phone",
    "staff_email",
    "active",
]
TEXT_LIMITS = {
    "ref": 64,
    "name": 120,
    "address_line": 200,
    "city": 100,
    "postal_code": 12,
    "state": 40,
    "network": 80,
    "operator": 80,
    "staff_name": 120,
    "staff_phone": 32,
    "staff_email": 254,
}
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
SHOWN_ERRORS = 200
_COMPARTMENTS = re.compile(r"^\s*([SML])\s*:\s*(\d{1,3})\s*$", re.IGNORECASE)
_TRUE, _FALSE = {"", "yes", "y", "true", "1"}, {"no", "n", "false", "0"}


@dataclass(frozen=True)
class LineError:
    line: str  # "line 4" or "feature 3"
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.line}, {self.column}" if self.column else self.line
        return f"{where}: {self.message}"


@dataclass
class ImportReport:
    errors: list[LineError] = field(default_factory=list)
    error_count: int = 0
    lockers_created: int = 0
    lockers_updated: int = 0
    shops_created: int = 0
    shops_updated: int = 0
    compartments_created: int = 0

    @property
    def ok(self) -> bool:
        return not self.error_count

    def add(self, line: str, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < SHOWN_ERRORS:
            self.errors.append(LineError(line, column, message))

    @property
    def message(self) -> str:
        return (
            f"{self.lockers_created} locker banks created, {self.lockers_updated} updated; "
            f"{self.shops_created} pickup shops created, {self.shops_updated} updated; "
            f"{self.compartments_created} compartments added."
        )


class ImportFailed(ValidationError):
    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__([str(e) for e in report.errors] or ["The file could not be imported."])


# --- reading ---------------------------------------------------------------------------------


def _csv_rows(report: ImportReport, data: bytes) -> list[tuple[str, dict]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        report.add(f"line {line}", "", "the file is not UTF-8 text; save it as “CSV UTF-8”")
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header or not any(c.strip() for c in header):
        report.add("line 1", "", f"the file is empty; expected a header with {','.join(REQUIRED)}")
        return []
    columns = [c.strip().lower() for c in header]
    missing = [c for c in REQUIRED if c not in columns]
    unknown = [c or "(blank)" for c in columns if c not in REQUIRED + OPTIONAL]
    if missing or unknown:
        parts = (["missing " + ", ".join(missing)] if missing else []) + (
            ["unexpected " + ", ".join(unknown)] if unknown else []
        )
        report.add("line 1", "", f"wrong header ({'; '.join(parts)})")
        return []
    rows = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(columns):
                report.add(
                    f"line {reader.line_num}",
                    "",
                    f"expected {len(columns)} values, found {len(cells)}",
                )
                continue
            rows.append((f"line {reader.line_num}", dict(zip(columns, cells, strict=True))))
            if len(rows) > MAX_ROWS:
                report.add("file", "", f"more than {MAX_ROWS:,} rows; split the file")
                return []
    except csv.Error as exc:
        report.add(f"line {reader.line_num}", "", f"not valid CSV here: {exc}")
    return rows


def _geojson_rows(report: ImportReport, data: bytes) -> list[tuple[str, dict]]:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        report.add("file", "", f"not valid GeoJSON: {exc}")
        return []
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        report.add("file", "type", "expected a GeoJSON FeatureCollection")
        return []
    features = doc.get("features")
    if not isinstance(features, list):
        report.add("file", "features", "expected a list of features")
        return []
    if len(features) > MAX_ROWS:
        report.add("file", "", f"more than {MAX_ROWS:,} features; split the file")
        return []
    rows = []
    for n, feature in enumerate(features, start=1):
        where = f"feature {n}"
        props = feature.get("properties") if isinstance(feature, dict) else None
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            report.add(where, "properties", "expected an object of properties")
            continue
        cells = {k: "" if v is None else v for k, v in props.items() if k in REQUIRED + OPTIONAL}
        for key in ("opening_hours",):
            if isinstance(cells.get(key), (dict, list)):
                cells[key] = json.dumps(cells[key])
        cells = {k: str(v) if not isinstance(v, str) else v for k, v in cells.items()}
        if geometry is not None:
            coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
            if (
                not isinstance(geometry, dict)
                or geometry.get("type") != "Point"
                or not isinstance(coords, list)
                or len(coords) < 2
                or not all(isinstance(c, (int, float)) for c in coords[:2])
            ):
                report.add(where, "geometry", "expected a Point with [longitude, latitude]")
                continue
            cells["longitude"], cells["latitude"] = str(coords[0]), str(coords[1])
        rows.append((where, cells))
    return rows


# --- checking --------------------------------------------------------------------------------


def _clean(report: ImportReport, where: str, cells: dict) -> dict | None:
    bad = False

    def fail(column: str, message: str) -> None:
        nonlocal bad
        bad = True
        report.add(where, column, message)

    row: dict = {}
    kind = cells.get("kind", "").strip().lower()
    if kind not in {"locker", "shop"}:
        fail("kind", f"expected “locker” or “shop”, found “{cells.get('kind', '')}”")
    row["kind"] = kind
    for column, limit in TEXT_LIMITS.items():
        value = " ".join(str(cells.get(column, "")).split())
        if column in REQUIRED and not value:
            fail(column, "expected a value, found nothing")
        elif len(value) > limit:
            fail(column, f"expected at most {limit} characters")
        row[column] = value
    row["country"] = (cells.get("country", "").strip() or "US").upper()
    if not re.fullmatch(r"[A-Z]{2}", row["country"]):
        fail("country", f"expected a two-letter country code, found “{cells.get('country')}”")
    row["network"] = row["network"] or "own"
    lat_text, lon_text = cells.get("latitude", "").strip(), cells.get("longitude", "").strip()
    row["latitude"] = row["longitude"] = None
    if lat_text or lon_text:
        try:
            lat, lon = float(lat_text), float(lon_text)
        except ValueError:
            fail("latitude", "expected latitude and longitude as decimal degrees, or neither")
        else:
            if not (-90 <= lat <= 90) or not (-180 <= lon <= 180):
                fail("latitude", f"coordinates {lat}, {lon} are out of range")
            row["latitude"], row["longitude"] = lat, lon
    hours_text = cells.get("opening_hours", "").strip()
    row["is_24_7"], row["opening_hours"] = kind == "locker" and not hours_text, {}
    if hours_text.lower() in {"24/7", "24x7"}:
        row["is_24_7"] = True
    elif hours_text:
        try:
            hours = json.loads(hours_text)
        except ValueError:
            hours = None
            fail("opening_hours", 'expected "24/7" or JSON like {"mon": [["09:00", "18:00"]]}')
        if hours is not None:
            problems = opening_hours_problems(hours)
            if problems:
                fail("opening_hours", problems[0][1])
            row["opening_hours"] = hours if isinstance(hours, dict) else {}
    active = cells.get("active", "").strip().lower()
    if active not in _TRUE | _FALSE:
        fail("active", f"expected yes or no, found “{cells.get('active')}”")
    row["is_active"] = active in _TRUE
    row["compartments"] = {}
    spec = cells.get("compartments", "").strip()
    if kind == "locker":
        for part in filter(None, (p.strip() for p in spec.split(","))):
            match = _COMPARTMENTS.match(part)
            if not match:
                fail("compartments", f"expected sizes like S:12,M:8,L:4, found “{part}”")
                break
            row["compartments"][match.group(1).upper()] = int(match.group(2))
        if not spec:
            fail("compartments", "a locker bank needs compartments, e.g. S:12,M:8,L:4")
    capacity = cells.get("holding_capacity", "").strip()
    row["holding_capacity"] = 30
    if kind == "shop" and capacity:
        if not capacity.isdigit() or not 1 <= int(capacity) <= 100_000:
            fail("holding_capacity", f"expected a whole number of parcels ≥ 1, found “{capacity}”")
        else:
            row["holding_capacity"] = int(capacity)
    if bad:
        return None
    if row["latitude"] is None:
        try:
            found = geocode(postal_code=row["postal_code"], country=row["country"])
        except GeocodingError as exc:
            report.add(where, "postal_code", f"{exc.message} Give latitude and longitude instead.")
            return None
        row["latitude"], row["longitude"] = found.latitude, found.longitude
    return row


def _check(report: ImportReport, rows: list[tuple[str, dict]]) -> list[dict]:
    seen: dict[tuple[str, str], str] = {}
    cleaned = []
    for where, cells in rows:
        row = _clean(report, where, cells)
        if row is None:
            continue
        key = (row["kind"], row["ref"])
        if key in seen:
            report.add(where, "ref", f"{row['kind']} {row['ref']} already appears on {seen[key]}")
            continue
        seen[key] = where
        cleaned.append(row)
    if report.ok and not cleaned:
        report.add("file", "", "nothing to import: the file has no rows")
    return cleaned


# --- writing ---------------------------------------------------------------------------------

PLACE_FIELDS = [
    "name",
    "network",
    "address_line",
    "city",
    "state",
    "postal_code",
    "country",
    "latitude",
    "longitude",
    "opening_hours",
    "is_active",
]


def import_network(*, merchant: Merchant, filename: str, data: bytes) -> ImportReport:
    """Check and import a CSV or GeoJSON file; raises ImportFailed (nothing written) on errors."""
    report = ImportReport()
    if len(data) > MAX_BYTES:
        report.add("file", "", f"the file is {len(data) / 1e6:.1f} MB; the limit is 10 MB")
        raise ImportFailed(report)
    is_geojson = filename.lower().endswith((".geojson", ".json")) or data.lstrip()[:1] == b"{"
    rows = _geojson_rows(report, data) if is_geojson else _csv_rows(report, data)
    cleaned = _check(report, rows)
    if not report.ok:
        raise ImportFailed(report)
    with transaction.atomic():
        banks = {b.ref: b for b in LockerBank.objects.for_merchant(merchant).select_for_update()}
        shops = {s.ref: s for s in PickupShop.objects.for_merchant(merchant).select_for_update()}
        for row in cleaned:
            values = {f: row[f] for f in PLACE_FIELDS} | {"updated_at": timezone.now()}
            if row["kind"] == "locker":
                values.update(operator=row["operator"], is_24_7=row["is_24_7"])
                bank = banks.get(row["ref"])
                if bank is None:
                    bank = LockerBank.objects.create(merchant=merchant, ref=row["ref"], **values)
                    report.lockers_created += 1
                else:
                    LockerBank.objects.filter(pk=bank.pk).update(**values)
                    report.lockers_updated += 1
                report.compartments_created += add_compartments(
                    bank=bank, counts=row["compartments"]
                )
            else:
                values.update(
                    holding_capacity=row["holding_capacity"],
                    staff_name=row["staff_name"],
                    staff_phone=row["staff_phone"],
                    staff_email=row["staff_email"],
                )
                shop = shops.get(row["ref"])
                if shop is None:
                    PickupShop.objects.create(merchant=merchant, ref=row["ref"], **values)
                    report.shops_created += 1
                else:
                    PickupShop.objects.filter(pk=shop.pk).update(**values)
                    report.shops_updated += 1
        bump_network_version(merchant.pk)
    return report
