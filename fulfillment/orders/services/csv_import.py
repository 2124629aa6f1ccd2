"""CSV import of orders: preview first, then all rows or none.

One row per order line; rows with the same `reference` form one order (they need not be
adjacent). The order's columns (shopper, address, service level) are read from the first row
of the reference; later rows may leave them blank or repeat them, but a different value is an
error. `preview_order_import` checks every row (SKUs, quantities, e-mail, service level,
duplicate references, that the ZIP code can be located, that the file's units are in stock
somewhere) without writing; `apply_order_import` makes every order through `create_order` in
one transaction, so a failure on any order (stock taken since the preview, a same-day cut-off
passed) rolls all of them back and names the line. Files over BACKGROUND_ABOVE rows run as a
job (fulfillment/jobs.py) that records "applied" in the same transaction as the orders.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Sum

from fulfillment.desk.services.tags import parse_tags, set_order_tags
from fulfillment.models import Order
from fulfillment.orders.services.addresses import resolve_destination
from fulfillment.orders.services.orders import DuplicateReference, IdempotencyConflict, create_order
from fulfillment.orders.services.routing import Unroutable
from merchant.models import Job, Merchant, Product, StockLevel, StoragePoint, User
from merchant.services.geocoding import GeocoderUnavailable

# The reader of the inventory import decodes, checks the header and yields rows with their
# line numbers; orders share its limits (5 MB, 50,000 rows) and its plan's error reporting.
from merchant.services.inventory_csv import MAX_BYTES, CsvImportPlan, RowError, read_csv_rows
from merchant.services.products import NUMBER_MAX
from merchant.services.staged_files import load_file, stage_file

REQUIRED = ["reference", "shopper_name", "postal_code", "sku", "quantity"]
OPTIONAL = [
    "shopper_email",
    "shopper_phone",
    "line1",
    "line2",
    "city",
    "state",
    "country",
    "service_level",
    "tags",
]
COLUMNS = [
    "reference",
    "shopper_name",
    "shopper_email",
    "shopper_phone",
    "line1",
    "line2",
    "city",
    "state",
    "postal_code",
    "country",
    "service_level",
    "tags",
    "sku",
    "quantity",
]
# Columns that belong to the order, not the line: equal on every row of one reference.
ORDER_COLUMNS = [c for c in COLUMNS if c not in ("reference", "sku", "quantity")]
LIMITS = {
    "reference": 80,
    "shopper_name": 150,
    "shopper_email": 254,
    "shopper_phone": 32,
    "line1": 200,
    "line2": 200,
    "city": 100,
    "state": 40,
    "postal_code": 12,
    "country": 2,
    "tags": 1000,
}
BACKGROUND_ABOVE = 1_000
SHOWN_WARNINGS = 50
PROGRESS_EVERY = 100  # orders
JOB_KIND = "orders.import_csv"
_IMPORT_ID = re.compile(r"^[0-9a-f]{32}$")
# Service errors name API fields; the file names columns.
_API_FIELDS = {
    "reference": "reference",
    "shopper.name": "shopper_name",
    "shopper.email": "shopper_email",
    "shopper.phone": "shopper_phone",
    "delivery.service_level": "service_level",
}


@dataclass
class PlannedOrder:
    reference: str
    lines: list[int]  # file line of each order line, in order
    data: dict  # the API-shaped body create_order takes
    tags: list[str] = field(default_factory=list)  # set on the order once made


@dataclass
class OrderImportPlan(CsvImportPlan):
    filename: str
    orders: list[PlannedOrder] = field(default_factory=list)
    row_count: int = 0
    units: int = 0
    warnings: list[RowError] = field(default_factory=list)  # address problems to be flagged
    warning_count: int = 0

    @property
    def in_background(self) -> bool:
        return self.row_count > BACKGROUND_ABOVE

    def add_warning(self, line: int, column: str, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < SHOWN_WARNINGS:
            self.warnings.append(RowError(line, column, message))


@dataclass(frozen=True)
class OrderImportResult:
    created: int
    lines: int
    flagged: int

    @property
    def message(self) -> str:
        flagged = f"; {self.flagged} with an address problem to check" if self.flagged else ""
        return f"{self.created} orders created with {self.lines} lines{flagged}."


@dataclass(frozen=True)
class Confirmed:
    result: OrderImportResult | None = None
    job: Job | None = None


# --- Staging ------------------------------------------------------------------------------


def stage_order_upload(*, merchant: Merchant, filename: str, data: bytes) -> str:
    """Keep an uploaded file for preview and confirm; returns its import id."""
    if len(data) > MAX_BYTES:
        raise ValidationError(
            {"file": f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is 5 MB."}
        )
    import_id = uuid.uuid4().hex
    meta = {"filename": Path(filename or "orders.csv").name[:120]}
    stage_file(merchant_id=merchant.pk, name=f"orders-{import_id}", data=data, meta=meta)
    return import_id


def load_order_upload(merchant: Merchant, import_id: str) -> tuple[str, bytes]:
    staged = (
        load_file(merchant_id=merchant.pk, name=f"orders-{import_id}")
        if _IMPORT_ID.match(import_id or "")
        else None
    )
    if staged is None:
        raise ValidationError(
            {"file": "That upload is no longer available; upload the file again."}
        )
    meta, data = staged
    return meta["filename"], data


# --- Validation ---------------------------------------------------------------------------


def _check_row(plan: OrderImportPlan, line: int, cells: dict[str, str]) -> dict | None:
    row = {c: (cells.get(c) or "").strip() for c in COLUMNS}
    bad = False
    for column, limit in LIMITS.items():
        if len(row[column]) > limit:
            plan.add_error(line, column, f"expected at most {limit} characters")
            bad = True
    if not row["reference"]:
        plan.add_error(line, "reference", "expected the order reference, found nothing")
        bad = True
    if not row["sku"]:
        plan.add_error(line, "sku", "expected a SKU, found nothing")
        bad = True
    quantity = row["quantity"]
    if not re.fullmatch(r"\+?\d{1,10}", quantity) or not 1 <= int(quantity) <= NUMBER_MAX:
        shown = quantity[:40] or "nothing"
        plan.add_error(
            line,
            "quantity",
            f"expected a whole number from 1 to {NUMBER_MAX:,}, found “{shown}”",
        )
        bad = True
    if row["service_level"] and row["service_level"] not in Order.ServiceLevel.values:
        plan.add_error(
            line,
            "service_level",
            f"expected one of {', '.join(Order.ServiceLevel.values)}, "
            f"found “{row['service_level']}”",
        )
        bad = True
    if row["tags"]:
        try:
            parse_tags(row["tags"])
        except ValidationError as error:
            plan.add_error(line, "tags", " ".join(error.messages))
            bad = True
    if row["shopper_email"]:
        try:
            validate_email(row["shopper_email"])
        except ValidationError:
            plan.add_error(
                line, "shopper_email", f"expected an e-mail address, found “{row['shopper_email']}”"
            )
            bad = True
    return None if bad else row


def _group(plan: OrderImportPlan, rows: list[tuple[int, dict]]) -> dict[str, list]:
    """Rows by reference; the first row of a reference carries the order's columns."""
    orders: dict[str, list[tuple[int, dict]]] = {}
    for line, row in rows:
        orders.setdefault(row["reference"], []).append((line, row))
    for reference, order_rows in orders.items():
        first_line, first = order_rows[0]
        if not first["shopper_name"]:
            plan.add_error(first_line, "shopper_name", "expected the shopper's name, found nothing")
        if not first["postal_code"]:
            plan.add_error(first_line, "postal_code", "expected a ZIP code, found nothing")
        for line, row in order_rows[1:]:
            for column in ORDER_COLUMNS:
                if row[column] and row[column] != first[column]:
                    plan.add_error(
                        line,
                        column,
                        f"order {reference} has “{first[column]}” on line {first_line}; "
                        "rows of one order must agree (or leave it blank)",
                    )
    return orders


def _body(reference: str, first: dict, order_rows: list[tuple[int, dict]]) -> dict:
    return {
        "reference": reference,
        "shopper": {
            "name": first["shopper_name"],
            "email": first["shopper_email"],
            "phone": first["shopper_phone"],
        },
        "destination": {
            "line1": first["line1"],
            "line2": first["line2"],
            "city": first["city"],
            "state": first["state"],
            "postal_code": first["postal_code"],
            "country": first["country"] or "US",
        },
        "delivery": {"kind": "home", "service_level": first["service_level"] or "next_day"},
        "lines": [{"sku": row["sku"], "quantity": int(row["quantity"])} for _, row in order_rows],
    }


def validate_orders_file(*, merchant: Merchant, filename: str, data: bytes) -> OrderImportPlan:
    plan = OrderImportPlan(filename=filename)
    rows = []
    for line, cells in read_csv_rows(plan, data, REQUIRED, OPTIONAL):
        plan.row_count += 1
        row = _check_row(plan, line, cells)
        if row is not None:
            rows.append((line, row))
    if plan.ok and not plan.row_count:
        plan.add_error(None, "", "The file has a header but no rows to import.")
    if not plan.row_count:
        return plan

    products = {
        p.sku: p
        for p in Product.objects.for_merchant(merchant).filter(
            sku__in={row["sku"] for _, row in rows}
        )
    }
    for line, row in rows:
        product = products.get(row["sku"])
        if product is None:
            plan.add_error(
                line, "sku", f"expected the SKU of one of your products, found “{row['sku']}”"
            )
        elif not product.is_active:
            plan.add_error(line, "sku", f"{row['sku']} is no longer sold (inactive)")

    orders = _group(plan, rows)
    taken = set(
        Order.objects.for_merchant(merchant)
        .filter(reference__in=list(orders))
        .values_list("reference", flat=True)
    )
    needs: dict[str, tuple[int, int]] = {}  # sku -> (units, first line)
    for reference, order_rows in orders.items():
        first_line, first = order_rows[0]
        if reference in taken:
            plan.add_error(first_line, "reference", f"an order {reference} already exists")
            continue
        if first["postal_code"]:
            _check_address(plan, first_line, first)
        for line, row in order_rows:
            units, seen = needs.get(row["sku"], (0, line))
            needs[row["sku"]] = (units + int(row["quantity"]), seen)
        plan.orders.append(
            PlannedOrder(
                reference,
                [line for line, _ in order_rows],
                _body(reference, first, order_rows),
                parse_tags(first["tags"]),
            )
        )
        plan.units += sum(int(row["quantity"]) for _, row in order_rows)
    if plan.ok:
        _check_stock(plan, merchant, needs, products)
    return plan


def _check_address(plan: OrderImportPlan, line: int, row: dict) -> None:
    try:
        destination = resolve_destination(
            line1=row["line1"],
            line2=row["line2"],
            city=row["city"],
            state=row["state"],
            postal_code=row["postal_code"],
            country=row["country"] or "US",
            service_level=row["service_level"] or "next_day",
            delivery_kind="home",
            shopper_phone=row["shopper_phone"],
            error_prefix="",
        )
    except ValidationError as error:
        plan.add_error(line, "postal_code", " ".join(error.messages))
        return
    except GeocoderUnavailable:
        plan.add_error(None, "", "The geocoding service is not answering; try again shortly.")
        return
    for found in destination.problems:
        column = found["field"].split(".")[-1].replace("phone", "shopper_phone")
        plan.add_warning(line, column, found["message"])


def _check_stock(
    plan: OrderImportPlan, merchant: Merchant, needs: dict, products: dict[str, Product]
) -> None:
    """The file cannot need more of a SKU than all shipping points hold, free, together."""
    available = dict(
        StockLevel.objects.for_merchant(merchant)
        .filter(
            product__in=[products[sku] for sku in needs],
            point__is_active=True,
            point__role=StoragePoint.Role.IN_USE,
        )
        .values_list("product__sku")
        .annotate(free=Sum(F("on_hand") - F("reserved")))
    )
    for sku, (units, line) in needs.items():
        free = available.get(sku) or 0
        if units > free:
            plan.add_error(
                line,
                "quantity",
                f"the file orders {units} × {sku} in all; only {free} are available "
                "across your storage points",
            )


def preview_order_import(*, merchant: Merchant, import_id: str) -> OrderImportPlan:
    filename, data = load_order_upload(merchant, import_id)
    return validate_orders_file(merchant=merchant, filename=filename, data=data)


# --- Writing ------------------------------------------------------------------------------

Report = Callable[[int, str], None]


def _where(order: PlannedOrder, field_name: str) -> tuple[int, str]:
    """(line, column) in the file of a service error's field, like `lines[2].sku`."""
    found = re.match(r"lines\[(\d+)\]\.?(\w*)", field_name or "")
    if found:
        n = int(found.group(1))
        line = order.lines[n] if n < len(order.lines) else order.lines[0]
        return line, found.group(2) or "sku"
    if field_name.startswith("destination."):
        return order.lines[0], field_name.split(".", 1)[1]
    return order.lines[0], _API_FIELDS.get(field_name, field_name)


def _refuse(order: PlannedOrder, field_name: str, message: str) -> ValidationError:
    line, column = _where(order, field_name)
    column = f", column {column}" if column else ""
    return ValidationError(
        f"Line {line}{column} (order {order.reference}): {message} Nothing was imported."
    )


def apply_order_import(
    *,
    merchant: Merchant,
    import_id: str,
    user: User | None = None,
    report: Report | None = None,
    on_applied: Callable[[OrderImportResult], None] | None = None,
) -> OrderImportResult:
    """Check the staged file again and create all of its orders in one transaction, or raise
    ValidationError naming the line and write nothing. `on_applied` runs in that transaction.
    GeocoderUnavailable passes through (retry later)."""
    plan = preview_order_import(merchant=merchant, import_id=import_id)
    if not plan.ok:
        first = plan.errors[0]
        where = f"Line {first.line}" if first.line else "The file"
        column = f", column {first.column}" if first.column else ""
        raise ValidationError(
            f"{where}{column}: {first.message} ({plan.error_count} problem(s) in all); "
            "nothing was imported."
        )
    report = report or (lambda steps, message: None)
    created = flagged = lines = reported = 0
    with transaction.atomic():
        for n, planned in enumerate(plan.orders, start=1):
            try:
                order, _ = create_order(
                    merchant=merchant,
                    data=planned.data,
                    # A second confirm of the same upload finds the orders it made.
                    idempotency_key=f"csv:{import_id}:{planned.reference}",
                    source=Order.Source.CSV,
                    user=user,
                )
            except ValidationError as error:
                name, messages = next(
                    iter(getattr(error, "message_dict", {"": error.messages}).items())
                )
                raise _refuse(planned, name, " ".join(messages)) from error
            except Unroutable as error:
                raise _refuse(planned, error.field, error.detail) from error
            except (DuplicateReference, IdempotencyConflict) as error:
                raise _refuse(planned, "reference", str(error)) from error
            if planned.tags:
                set_order_tags(order=order, tags=planned.tags)
            created += 1
            lines += len(planned.lines)
            flagged += order.address_status == Order.AddressStatus.PROBLEM
            if n % PROGRESS_EVERY == 0 or n == len(plan.orders):
                report(lines - reported, f"Created {n} of {len(plan.orders)} orders")
                reported = lines
        result = OrderImportResult(created=created, lines=lines, flagged=flagged)
        if on_applied:
            on_applied(result)
    return result


def confirm_order_import(
    *, merchant: Merchant, import_id: str, user: User | None = None
) -> Confirmed:
    """Import now, or as a background job when the file is large."""
    from merchant.services import jobs

    plan = preview_order_import(merchant=merchant, import_id=import_id)
    if plan.ok and plan.in_background:
        job = jobs.start_job(
            merchant=merchant,
            kind=JOB_KIND,
            params={"import_id": import_id, "filename": plan.filename},
            user=user,
            title=f"Import orders from {plan.filename}",
        )
        return Confirmed(job=job)
    return Confirmed(result=apply_order_import(merchant=merchant, import_id=import_id, user=user))
