"""CSV import and export of products and stock counts.

Import is preview-first: `stage_upload` keeps the file in storage under imports/<merchant>/
and `preview_import` validates every row and counts what would change; `confirm_import`
validates again and writes every row in one transaction, or nothing (files over
BACKGROUND_ABOVE rows go to a background job, see merchant/jobs.py). Writes skip rows that
already match, and a job records that it applied its file in the same transaction as the
writes, so running an import again writes nothing twice.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.db.models import QuerySet
from django.utils import timezone

from merchant.models import Job, Merchant, Product, StockLevel, StoragePoint, User
from merchant.services import stock
from merchant.services.products import NAME_MAX, NUMBER_FIELDS, NUMBER_MAX, SKU_MAX
from merchant.services.staged_files import load_file, stage_file

PRODUCTS, STOCK = "products", "stock"
KINDS = {PRODUCTS: "Products", STOCK: "Stock counts"}
PRODUCT_COLUMNS = ["sku", "name", "weight_g", "length_mm", "width_mm", "height_mm", "value"]
STOCK_COLUMNS = ["sku", "point", "on_hand"]
STOCK_OPTIONAL = ["low_stock_threshold"]
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
BACKGROUND_ABOVE = 1_000
SHOWN_ERRORS = 200
BATCH = 500
JOB_KIND = "inventory.import_csv"
_IMPORT_ID = re.compile(r"^[0-9a-f]{32}$")
# NUL and the other C0 controls but tab: PostgreSQL refuses NUL in text, and none belongs in a cell.
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A cell that a spreadsheet would run as a formula (CSV injection): =, +, -, @, tab, return.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class RowError:
    line: int | None  # None: the file as a whole
    column: str
    message: str


@dataclass(kw_only=True)
class CsvImportPlan:
    """What every CSV import preview shows (inventory here, orders in
    fulfillment/orders/services/csv_import.py): the first SHOWN_ERRORS errors, how many in all."""

    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    @property
    def ok(self) -> bool:
        return not self.error_count

    def add_error(self, line: int | None, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < SHOWN_ERRORS:
            self.errors.append(RowError(line, column, message))


@dataclass
class ImportPlan(CsvImportPlan):
    kind: str
    filename: str
    rows: list[dict] = field(default_factory=list)
    to_create: int = 0
    to_update: int = 0
    unchanged: int = 0

    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def in_background(self) -> bool:
        return self.row_count > BACKGROUND_ABOVE


@dataclass(frozen=True)
class ImportResult:
    kind: str
    created: int
    updated: int
    unchanged: int

    @property
    def message(self) -> str:
        if self.kind == PRODUCTS:
            return (
                f"{self.created} products created, {self.updated} updated, "
                f"{self.unchanged} unchanged."
            )
        return f"{self.updated} stock levels changed, {self.unchanged} already matched."


# --- Staging the upload -------------------------------------------------------------------


def stage_upload(*, merchant: Merchant, kind: str, filename: str, data: bytes) -> str:
    """Keep an uploaded file for preview and confirm; returns its import id."""
    if kind not in KINDS:
        raise ValidationError({"kind": "Choose products or stock counts."})
    if len(data) > MAX_BYTES:
        raise ValidationError(
            {"file": f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is 5 MB."}
        )
    import_id = uuid.uuid4().hex
    meta = {"kind": kind, "filename": Path(filename or "upload.csv").name[:120]}
    stage_file(merchant_id=merchant.pk, name=import_id, data=data, meta=meta)
    return import_id


def load_upload(merchant: Merchant, import_id: str) -> tuple[str, str, bytes]:
    """(kind, filename, bytes) of a staged file of this merchant."""
    staged = (
        load_file(merchant_id=merchant.pk, name=import_id)
        if _IMPORT_ID.match(import_id or "")
        else None
    )
    if staged is None:
        raise ValidationError(
            {"file": "That upload is no longer available; upload the file again."}
        )
    meta, data = staged
    return meta["kind"], meta["filename"], data


# --- Validation -----------------------------------------------------------------------------


def _parse_int(text: str, *, minimum: int) -> int | None:
    text = text.strip()
    if not re.fullmatch(r"[+-]?\d+", text):
        return None
    number = int(text)
    return number if minimum <= number <= NUMBER_MAX else None


def _number_error(text: str, minimum: int) -> str:
    shown = text.strip() or "nothing"
    return f"expected a whole number of at least {minimum}, found “{shown}”"


def read_csv_rows(plan: CsvImportPlan, data: bytes, required: list[str], optional: list[str]):
    """Decode, check the header and yield (line, {column: text}) for each non-blank row."""
    if len(data) > MAX_BYTES:
        plan.add_error(
            None, "", f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is 5 MB."
        )
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        plan.add_error(
            line,
            "",
            "The file is not UTF-8 text (byte "
            f"0x{data[exc.start]:02x} on line {line}). Save it as “CSV UTF-8” and upload it again.",
        )
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    expected = ",".join(required + [f"[{c}]" for c in optional])
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            plan.add_error(1, "", f"The file is empty; expected the header {expected}.")
            return
        columns = [cell.strip().lower() for cell in header]
        missing = [c for c in required if c not in columns]
        unknown = [c for c in columns if c not in required + optional]
        duplicated = sorted({c for c in columns if columns.count(c) > 1})
        if missing or unknown or duplicated:
            problems = []
            if missing:
                problems.append("missing " + ", ".join(missing))
            if unknown:
                problems.append("unexpected " + ", ".join(c or "(blank)" for c in unknown))
            if duplicated:
                problems.append("repeated " + ", ".join(duplicated))
            plan.add_error(
                1,
                "",
                f"Wrong header: expected {expected}; found {','.join(columns)} "
                f"({'; '.join(problems)}).",
            )
            return
        count = 0
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            count += 1
            if count > MAX_ROWS:
                plan.add_error(
                    None, "", f"The file has more than {MAX_ROWS:,} rows; split it into parts."
                )
                return
            if len(cells) != len(columns):
                plan.add_error(
                    reader.line_num,
                    "",
                    f"expected {len(columns)} values ({','.join(columns)}), found {len(cells)}",
                )
                continue
            row = dict(zip(columns, cells, strict=True))
            bad_cells = [c for c, value in row.items() if _CONTROL_CHARACTER.search(value)]
            for column in bad_cells:
                plan.add_error(
                    reader.line_num,
                    column,
                    "contains a control character (such as a NUL byte) that text cannot hold",
                )
            if not bad_cells:
                yield reader.line_num, {c: _unescape_formula(v) for c, v in row.items()}
    except csv.Error as exc:
        plan.add_error(reader.line_num, "", f"The file is not valid CSV here: {exc}.")


def _validate_products(plan: ImportPlan, merchant: Merchant, data: bytes) -> None:
    existing = {
        p["sku"]: p
        for p in Product.objects.for_merchant(merchant).values("pk", "sku", *PRODUCT_COLUMNS[1:])
    }
    seen: dict[str, int] = {}
    for line, cells in read_csv_rows(plan, data, PRODUCT_COLUMNS, []):
        row: dict = {"line": line}
        bad = False
        sku = cells["sku"].strip()
        if not sku:
            plan.add_error(line, "sku", "expected a SKU, found nothing")
            bad = True
        elif len(sku) > SKU_MAX:
            plan.add_error(line, "sku", f"expected a SKU of at most {SKU_MAX} characters")
            bad = True
        elif sku in seen:
            plan.add_error(line, "sku", f"SKU {sku} already appears on line {seen[sku]}")
            bad = True
        else:
            seen[sku] = line
        name = cells["name"].strip()
        if not name or len(name) > NAME_MAX:
            plan.add_error(line, "name", f"expected a name of 1 to {NAME_MAX} characters")
            bad = True
        row.update(sku=sku, name=name)
        for column, (_label, minimum) in NUMBER_FIELDS.items():
            number = _parse_int(cells[column], minimum=minimum)
            if number is None:
                plan.add_error(line, column, _number_error(cells[column], minimum))
                bad = True
            row[column] = number
        if bad:
            continue
        current = existing.get(sku)
        if current is None:
            row["action"] = "create"
            plan.to_create += 1
        elif any(current[c] != row[c] for c in PRODUCT_COLUMNS[1:]):
            row["action"], row["pk"] = "update", current["pk"]
            plan.to_update += 1
        else:
            row["action"] = "unchanged"
            plan.unchanged += 1
        plan.rows.append(row)


def _validate_stock(plan: ImportPlan, merchant: Merchant, data: bytes) -> None:
    products = dict(Product.objects.for_merchant(merchant).values_list("sku", "pk"))
    points = dict(StoragePoint.objects.for_merchant(merchant).values_list("name", "pk"))
    levels = {
        (lv["product_id"], lv["point_id"]): lv
        for lv in StockLevel.objects.for_merchant(merchant).values(
            "product_id", "point_id", "on_hand", "reserved", "low_stock_threshold"
        )
    }
    seen: dict[tuple[str, str], int] = {}
    for line, cells in read_csv_rows(plan, data, STOCK_COLUMNS, STOCK_OPTIONAL):
        bad = False
        sku, point_name = cells["sku"].strip(), cells["point"].strip()
        product_id, point_id = products.get(sku), points.get(point_name)
        if product_id is None:
            plan.add_error(line, "sku", f"expected the SKU of one of your products, found “{sku}”")
            bad = True
        if point_id is None:
            plan.add_error(
                line,
                "point",
                f"expected the name of one of your storage points, found “{point_name}”",
            )
            bad = True
        if (sku, point_name) in seen:
            plan.add_error(
                line,
                "sku",
                f"{sku} at {point_name} already appears on line {seen[(sku, point_name)]}",
            )
            bad = True
        seen.setdefault((sku, point_name), line)
        on_hand = _parse_int(cells["on_hand"], minimum=0)
        if on_hand is None:
            plan.add_error(line, "on_hand", _number_error(cells["on_hand"], 0))
            bad = True
        threshold = None
        if cells.get("low_stock_threshold", "").strip():
            threshold = _parse_int(cells["low_stock_threshold"], minimum=0)
            if threshold is None:
                plan.add_error(
                    line, "low_stock_threshold", _number_error(cells["low_stock_threshold"], 0)
                )
                bad = True
        if bad:
            continue
        level = levels.get((product_id, point_id), {"on_hand": 0, "reserved": 0})
        if on_hand < level["reserved"]:
            plan.add_error(
                line,
                "on_hand",
                f"expected at least {level['reserved']}: that many units are reserved for orders",
            )
            continue
        changed = on_hand != level["on_hand"] or (
            threshold is not None and threshold != level.get("low_stock_threshold", 0)
        )
        if changed:
            plan.to_update += 1
        else:
            plan.unchanged += 1
        plan.rows.append(
            {
                "line": line,
                "product_id": product_id,
                "point_id": point_id,
                "on_hand": on_hand,
                "threshold": threshold,
            }
        )


def validate_file(*, merchant: Merchant, kind: str, filename: str, data: bytes) -> ImportPlan:
    plan = ImportPlan(kind=kind, filename=filename)
    if kind == PRODUCTS:
        _validate_products(plan, merchant, data)
    else:
        _validate_stock(plan, merchant, data)
    if plan.ok and not plan.rows:
        plan.add_error(None, "", "The file has a header but no rows to import.")
    return plan


def preview_import(*, merchant: Merchant, import_id: str) -> ImportPlan:
    kind, filename, data = load_upload(merchant, import_id)
    return validate_file(merchant=merchant, kind=kind, filename=filename, data=data)


# --- Writing --------------------------------------------------------------------------------

Report = Callable[[int, str], None]


def _write_products(merchant: Merchant, plan: ImportPlan, report: Report) -> None:
    fields = PRODUCT_COLUMNS[1:]
    rows = [r for r in plan.rows if r["action"] != "unchanged"]
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        Product.objects.bulk_create(
            [
                Product(merchant=merchant, **{c: r[c] for c in PRODUCT_COLUMNS})
                for r in batch
                if r["action"] == "create"
            ]
        )
        updates = [
            Product(pk=r["pk"], merchant=merchant, **{c: r[c] for c in PRODUCT_COLUMNS})
            for r in batch
            if r["action"] == "update"
        ]
        if updates:
            Product.objects.bulk_update(updates, fields)
        report(len(batch), f"Wrote {min(start + BATCH, len(rows))} of {len(rows)} rows")


def _write_stock(
    merchant: Merchant, plan: ImportPlan, import_id: str, user: User | None, report: Report
) -> None:
    products = Product.objects.for_merchant(merchant).in_bulk({r["product_id"] for r in plan.rows})
    points = StoragePoint.objects.for_merchant(merchant).in_bulk({r["point_id"] for r in plan.rows})
    reason = f"CSV stock count {plan.filename}"
    reported = 0
    for n, row in enumerate(plan.rows, start=1):
        product, point = products[row["product_id"]], points[row["point_id"]]
        try:
            stock.set_stock_count(
                merchant=merchant,
                product=product,
                point=point,
                counted=row["on_hand"],
                reason=reason,
                reference=f"csv:{import_id}",
                user=user,
            )
        except ValidationError as exc:
            # Reserved stock changed since the preview: name the line, roll everything back.
            raise ValidationError(f"Line {row['line']}: {' '.join(exc.messages)}") from exc
        if row["threshold"] is not None:
            StockLevel.objects.filter(product=product, point=point).exclude(
                low_stock_threshold=row["threshold"]
            ).update(low_stock_threshold=row["threshold"], updated_at=timezone.now())
        if n % BATCH == 0 or n == len(plan.rows):
            report(n - reported, f"Wrote {n} of {len(plan.rows)} rows")
            reported = n


def apply_import(
    *,
    merchant: Merchant,
    import_id: str,
    user: User | None = None,
    report: Report | None = None,
    on_applied: Callable[[ImportResult], None] | None = None,
) -> ImportResult:
    """Validate the staged file again and write all of it in one transaction, or raise
    ValidationError and write nothing. `on_applied` runs inside that transaction."""
    plan = preview_import(merchant=merchant, import_id=import_id)
    if not plan.ok:
        first = plan.errors[0]
        where = f"Line {first.line}" if first.line else "The file"
        column = f", column {first.column}" if first.column else ""
        raise ValidationError(
            f"{where}{column}: {first.message} ({plan.error_count} problem(s) in all); "
            "nothing was imported."
        )
    report = report or (lambda steps, message: None)
    with transaction.atomic():
        if plan.kind == PRODUCTS:
            _write_products(merchant, plan, report)
        else:
            _write_stock(merchant, plan, import_id, user, report)
        result = ImportResult(
            kind=plan.kind, created=plan.to_create, updated=plan.to_update, unchanged=plan.unchanged
        )
        if on_applied:
            on_applied(result)
    return result


@dataclass(frozen=True)
class Confirmed:
    result: ImportResult | None = None
    job: Job | None = None


def confirm_import(*, merchant: Merchant, import_id: str, user: User | None = None) -> Confirmed:
    """Import now, or as a background job when the file is large."""
    from merchant.services import (
        jobs,  # jobs stands beside this module; imported late to keep start-up light
    )

    plan = preview_import(merchant=merchant, import_id=import_id)
    if plan.ok and plan.in_background:
        job = jobs.start_job(
            merchant=merchant,
            kind=JOB_KIND,
            params={"import_id": import_id, "kind": plan.kind, "filename": plan.filename},
            user=user,
            title=f"Import {KINDS[plan.kind].lower()} from {plan.filename}",
        )
        return Confirmed(job=job)
    return Confirmed(result=apply_import(merchant=merchant, import_id=import_id, user=user))


class SideProgress:
    """Reports a job's progress on its own database connection, so that the page polling it
    sees progress made inside the import's still-open transaction (PostgreSQL only; elsewhere
    progress shows when the transaction commits)."""

    def __init__(self, job: Job, total: int) -> None:
        self.job_id, self.total, self.done = job.pk, total, 0
        # A second connection commits each UPDATE at once (SQLite allows only one writer).
        self.conn = (
            connections.create_connection("default") if connection.vendor == "postgresql" else None
        )

    def __call__(self, steps: int, message: str) -> None:
        self.done = min(self.total, self.done + steps)
        if self.conn is None:
            return
        with self.conn.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Job._meta.db_table} SET done = %s, message = %s, heartbeat_at = %s "
                "WHERE id = %s",
                [self.done, message[:255], timezone.now(), self.job_id],
            )

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


# --- Export ---------------------------------------------------------------------------------


class _Echo:
    def write(self, value: str) -> str:
        return value


def escape_formula(value: object) -> object:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP's
    advice for CSV injection); numbers stay numbers. The import strips it again."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _unescape_formula(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


def _csv_lines(header: list[str], rows: Iterator[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([escape_formula(value) for value in row])


def export_products(merchant: Merchant) -> Iterator[str]:
    products: QuerySet = (
        Product.objects.for_merchant(merchant).order_by("sku").values_list(*PRODUCT_COLUMNS)
    )
    return _csv_lines(PRODUCT_COLUMNS, (list(p) for p in products.iterator(chunk_size=2000)))


def export_stock(merchant: Merchant) -> Iterator[str]:
    levels = (
        StockLevel.objects.for_merchant(merchant)
        .order_by("product__sku", "point__name")
        .values_list("product__sku", "point__name", "on_hand", "low_stock_threshold")
    )
    return _csv_lines(
        STOCK_COLUMNS + STOCK_OPTIONAL, (list(lv) for lv in levels.iterator(chunk_size=2000))
    )
