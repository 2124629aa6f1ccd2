"""Demand history writes: one order's demand as it arrives, and a past history from a CSV.

The orders app calls :func:`record_demands` with an order's lines; a merchant imports their
shop platform's history with :func:`import_demand_history` (all or nothing, every bad cell
named by line and column, re-importing the same file adds nothing).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
from dataclasses import dataclass, field
from typing import IO
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from merchant.models import DemandRecord, Merchant, Product
from merchant.services.geocoding import GeocodingError, geocode, normalize_postal_code

SOURCES = ("order", "import", "demo")
IMPORT_COLUMNS = ("date", "postal_code", "sku", "units")
REQUIRED_COLUMNS = ("date", "postal_code", "units")
MAX_IMPORT_ROWS = 200_000
MAX_UNITS = 10_000
MAX_REPORTED_ERRORS = 50

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"Line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class DemandImportInvalid(ValidationError):
    """The file was refused; ``errors`` lists each bad cell. Nothing was written."""

    def __init__(self, errors: list[RowError], *, more: int = 0) -> None:
        self.errors = errors
        self.more = more
        messages = [str(e) for e in errors]
        if more:
            messages.append(f"…and {more} more errors.")
        super().__init__({"file": messages})


@dataclass(frozen=True)
class ImportReport:
    rows: int
    created: int
    already_imported: int
    postal_codes: int
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Demand:
    """One line of demand for :func:`record_demands` (the arguments of :func:`record_demand`)."""

    ordered_on: dt.date
    postal_code: str
    units: int
    product: Product | None = None
    reference: str = ""
    source: str = "order"
    latitude: float | None = None
    longitude: float | None = None


def record_demand(
    *,
    merchant: Merchant,
    ordered_on: dt.date,
    postal_code: str,
    units: int,
    product: Product | None = None,
    reference: str = "",
    source: str = "order",
    latitude: float | None = None,
    longitude: float | None = None,
) -> DemandRecord:
    """Record that ``units`` were ordered for delivery to ``postal_code`` on ``ordered_on``.

    Without coordinates the postal code is geocoded. Raises ValidationError naming the field.
    """
    record = _demand_record(
        merchant,
        Demand(
            ordered_on=ordered_on,
            postal_code=postal_code,
            units=units,
            product=product,
            reference=reference,
            source=source,
            latitude=latitude,
            longitude=longitude,
        ),
    )
    with transaction.atomic():
        record.save(force_insert=True)
    return record


def record_demands(
    *, merchant: Merchant, demands: list[Demand], skip_invalid: bool = False
) -> list[DemandRecord]:
    """Record several lines of demand with one INSERT (an order's lines).

    Every line is checked before anything is written. A bad line raises ValidationError naming
    it (``demands[2].units``) and nothing is written; with ``skip_invalid`` bad lines are left
    out (and logged) and the good ones recorded, which is what order intake wants: demand
    history must never refuse a sale. No savepoint is made inside the caller's transaction.
    """
    records = demand_records(merchant=merchant, demands=demands, skip_invalid=skip_invalid)
    if not records:
        return []
    if transaction.get_connection().in_atomic_block:
        return DemandRecord.objects.bulk_create(records)
    with transaction.atomic():
        return DemandRecord.objects.bulk_create(records)


def demand_records(
    *, merchant: Merchant, demands: list[Demand], skip_invalid: bool = False
) -> list[DemandRecord]:
    """The unsaved records of `demands`, checked as `record_demands` does, for a caller that
    writes them together with its own rows (order intake)."""
    records, errors = [], {}
    for n, demand in enumerate(demands):
        try:
            records.append(_demand_record(merchant, demand))
        except ValidationError as error:
            if not skip_invalid:
                for name, messages in error.message_dict.items():
                    errors[f"demands[{n}].{name}"] = messages
            else:
                logger.warning(
                    "Demand not recorded for %s: %s", demand.reference or "?", error.messages
                )
    if errors:
        raise ValidationError(errors)
    return records


def _demand_record(merchant: Merchant, demand: Demand) -> DemandRecord:
    """The unsaved record of one line of demand; raises ValidationError naming the field."""
    ordered_on, units, source = demand.ordered_on, demand.units, demand.source
    postal_code, reference = demand.postal_code, demand.reference
    latitude, longitude, product = demand.latitude, demand.longitude, demand.product
    if not isinstance(ordered_on, dt.date):
        raise ValidationError({"ordered_on": "Give the order date."})
    if isinstance(ordered_on, dt.datetime):
        ordered_on = ordered_on.date()
    if not isinstance(units, int) or isinstance(units, bool) or not 1 <= units <= MAX_UNITS:
        raise ValidationError({"units": f"Units must be a whole number from 1 to {MAX_UNITS}."})
    if source not in SOURCES:
        raise ValidationError({"source": f"Source must be one of {', '.join(SOURCES)}."})
    if product is not None and product.merchant_id != merchant.pk:
        raise ValidationError({"product": "No such product in this shop."})
    if len(reference) > 80:
        raise ValidationError({"reference": "A reference has at most 80 characters."})
    if (latitude is None) != (longitude is None):
        raise ValidationError({"latitude": "Give both latitude and longitude, or neither."})
    if latitude is None:
        try:
            found = geocode(postal_code=postal_code)
        except GeocodingError as error:
            raise ValidationError({error.field: error.message}) from error
        code, latitude, longitude = (
            found.postal_code or postal_code,
            found.latitude,
            found.longitude,
        )
    else:
        try:
            code = normalize_postal_code(postal_code)
        except GeocodingError as error:
            raise ValidationError({"postal_code": error.message}) from error
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValidationError({"latitude": "Coordinates are out of range."})
    return DemandRecord(
        merchant=merchant,
        ordered_on=ordered_on,
        postal_code=code,
        latitude=latitude,
        longitude=longitude,
        product=product,
        units=units,
        source=source,
        reference=reference,
    )


def import_demand_history(*, merchant: Merchant, file: IO[bytes], filename: str) -> ImportReport:
    """Import a CSV with a header row ``date,postal_code,sku,units`` (sku may be empty or
    absent: no product). All rows or none; DemandImportInvalid lists every bad cell.

    Each row's reference is ``import:<digest of the file>:<line>``, so importing the same
    content again (under any file name) adds nothing.
    """
    raw = file.read()
    if isinstance(raw, str):
        raw = raw.encode()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DemandImportInvalid(
            [
                RowError(
                    1, "", f"The file is not UTF-8 text (byte {error.start}); save it as CSV UTF-8."
                )
            ]
        ) from error
    digest = hashlib.sha256(text.replace("\r\n", "\n").encode()).hexdigest()[:20]
    prefix = f"import:{digest}:"
    rows, errors = _parse_rows(merchant, text)
    if errors:
        shown = errors[:MAX_REPORTED_ERRORS]
        raise DemandImportInvalid(shown, more=len(errors) - len(shown))

    with transaction.atomic():
        # Lock the merchant row: two uploads of one file at once must not both write it.
        Merchant.objects.select_for_update().filter(pk=merchant.pk).first()
        existing = set(
            DemandRecord.objects.for_merchant(merchant)
            .filter(reference__startswith=prefix)
            .values_list("reference", flat=True)
        )
        new = []
        for row in rows:
            reference = f"{prefix}{row['line']}"
            if reference not in existing:
                fields = {k: v for k, v in row.items() if k != "line"}
                new.append(
                    DemandRecord(merchant=merchant, source="import", reference=reference, **fields)
                )
        DemandRecord.objects.bulk_create(new, batch_size=2000)
    days = [row["ordered_on"] for row in rows]
    warnings = []
    if existing:
        warnings.append(f"{len(existing)} rows of this file were imported before and were skipped.")
    return ImportReport(
        rows=len(rows),
        created=len(new),
        already_imported=len(existing),
        postal_codes=len({row["postal_code"] for row in rows}),
        first_day=min(days, default=None),
        last_day=max(days, default=None),
        warnings=warnings,
    )


def _parse_rows(merchant: Merchant, text: str) -> tuple[list[dict], list[RowError]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return [], [
            RowError(1, "", "The file is empty; expected a header row date,postal_code,sku,units.")
        ]
    except csv.Error as error:
        return [], [RowError(1, "", f"Not a readable CSV file ({error}).")]
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        return [], [
            RowError(
                1,
                "",
                f"The header row lacks {', '.join(missing)}; expected date,postal_code,sku,units.",
            )
        ]
    position = {name: names.index(name) for name in IMPORT_COLUMNS if name in names}
    products = {p.sku.casefold(): p for p in Product.objects.for_merchant(merchant)}
    today = timezone.localdate(timezone=ZoneInfo(merchant.time_zone))
    coordinates: dict[str, tuple[str, float, float] | GeocodingError] = {}
    rows: list[dict] = []
    errors: list[RowError] = []
    try:
        for line_no, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                errors.append(
                    RowError(line_no, "", f"Import at most {MAX_IMPORT_ROWS} rows a file.")
                )
                break
            row = _parse_row(line_no, cells, position, products, today, coordinates, errors)
            if row is not None:
                rows.append(row)
    except csv.Error as error:
        errors.append(RowError(reader.line_num, "", f"Not readable as CSV ({error})."))
    if not rows and not errors:
        errors.append(RowError(2, "", "The file has a header but no rows."))
    return rows, errors


def _cell(cells: list[str], position: dict[str, int], name: str) -> str:
    index = position.get(name)
    return cells[index].strip() if index is not None and index < len(cells) else ""


def _parse_row(line_no, cells, position, products, today, coordinates, errors) -> dict | None:
    count = len(errors)
    text = _cell(cells, position, "date")
    ordered_on = None
    try:
        ordered_on = dt.date.fromisoformat(text)
    except ValueError:
        errors.append(RowError(line_no, "date", f"expected a date like 2024-11-29, got “{text}”."))
    if ordered_on and ordered_on > today:
        errors.append(
            RowError(line_no, "date", f"{ordered_on} is in the future; import past orders.")
        )

    text = _cell(cells, position, "units")
    units = int(text) if text.isdigit() else 0
    if not 1 <= units <= MAX_UNITS:
        errors.append(
            RowError(
                line_no, "units", f"expected a whole number from 1 to {MAX_UNITS}, got “{text}”."
            )
        )

    sku = _cell(cells, position, "sku")
    product = None
    if sku:
        product = products.get(sku.casefold())
        if product is None:
            errors.append(
                RowError(
                    line_no, "sku", f"no product with SKU “{sku}”; add it or leave the cell empty."
                )
            )

    code = _cell(cells, position, "postal_code")
    if code not in coordinates:
        try:
            found = geocode(postal_code=code)
            coordinates[code] = (found.postal_code or code, found.latitude, found.longitude)
        except GeocodingError as error:
            coordinates[code] = error
    place = coordinates[code]
    if isinstance(place, GeocodingError):
        errors.append(RowError(line_no, "postal_code", place.message))
    if len(errors) > count:
        return None
    postal_code, latitude, longitude = place
    return {
        "line": line_no,
        "ordered_on": ordered_on,
        "postal_code": postal_code,
        "latitude": latitude,
        "longitude": longitude,
        "product": product,
        "units": units,
    }
