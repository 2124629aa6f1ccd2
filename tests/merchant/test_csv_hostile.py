"""Both CSV imports (products and stock counts, orders) under hostile files: every file is
either imported whole or refused with its lines named, never half-written and never a 500.
Exports neutralise cells a spreadsheet would run as formulas."""

from __future__ import annotations

import csv
import io
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fulfillment.models import Order
from fulfillment.orders.services import csv_import as order_csv
from merchant.models import Product, StockLevel
from merchant.services import inventory_csv
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import stock

pytestmark = pytest.mark.django_db

PRODUCT_HEADER = ["sku", "name", "weight_g", "length_mm", "width_mm", "height_mm", "value"]
ORDER_HEADER = ["reference", "shopper_name", "postal_code", "sku", "quantity", "city", "state"]

# Cells that broke imports elsewhere: NUL and other controls, lone surrogates (written as the
# bytes Python's surrogatepass gives, i.e. invalid UTF-8), numbers past every column, formulas,
# quotes and line breaks inside cells, markup, very long text.
HOSTILE_TEXT = st.sampled_from(
    [
        "\x00",
        "MUG\x00",
        "\ud800",
        "a\udfffb",
        "9" * 30,
        "-9223372036854775809",
        "2147483648",
        "1e309",
        "=cmd|' /C calc'!A0",
        "@SUM(1+1)",
        '"quoted, with comma"',
        "line\nbreak",
        "<script>alert(1)</script>",
        "x" * 5000,
        "",
        " ",
        "\u202e",
    ]
)
CELL = st.one_of(HOSTILE_TEXT, st.text(max_size=12), st.integers(-(2**70), 2**70).map(str))
# Mostly good numbers, so that whole files get imported too, not only refused.
NUMBER = st.one_of(st.integers(1, 5000).map(str), st.integers(1, 5000).map(str), CELL)
PRODUCT_ROW = st.tuples(CELL, NUMBER, NUMBER, NUMBER, NUMBER, NUMBER).map(list)


def _encode(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8", errors="surrogatepass")


def _upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


@pytest.fixture
def merchant(merchant_a):
    return merchant_a.merchant


@pytest.fixture
def shop(merchant):
    point = make_point(merchant, name="Lincoln Park", postal_code="60614")
    for sku in ("MUG", "TEA"):
        stock(merchant, point, make_product(merchant, sku=sku, value=1000), 1_000)
    return point


def test_a_nul_byte_in_a_cell_is_named_by_line_and_column_and_nothing_is_written(merchant):
    data = _encode([PRODUCT_HEADER, ["SKU-1", "Mug", "250", "1", "1", "1", "5"]])
    data += b"SKU-2,Te\x00a,250,1,1,1,5\n"
    import_id = inventory_csv.stage_upload(
        merchant=merchant, kind=inventory_csv.PRODUCTS, filename="p.csv", data=data
    )
    plan = inventory_csv.preview_import(merchant=merchant, import_id=import_id)

    assert [(e.line, e.column) for e in plan.errors] == [(3, "name")]
    assert "control character" in plan.errors[0].message
    assert not Product.objects.for_merchant(merchant).exists()


def test_an_order_quantity_past_the_column_is_a_row_error(merchant, shop):
    data = _encode([ORDER_HEADER, ["WEB-1", "Ada", "60614", "MUG", "9" * 30, "Chicago", "IL"]])
    import_id = order_csv.stage_order_upload(merchant=merchant, filename="o.csv", data=data)
    plan = order_csv.preview_order_import(merchant=merchant, import_id=import_id)

    assert [(e.line, e.column) for e in plan.errors] == [(2, "quantity")]


def test_exports_neutralise_formula_cells_and_the_import_reads_them_back(merchant, client_a):
    formulas = {"F-1": "=cmd|' /C calc'!A0", "F-2": "@SUM(A1)", "F-3": "+1", "F-4": "-2"}
    for sku, name in formulas.items():
        make_product(merchant, sku=sku, name=name)
    make_product(merchant, sku="PLAIN", name="Plain mug")

    response = client_a.get(reverse("inventory_export_products"))
    text = b"".join(response.streaming_content).decode()
    names = {row["sku"]: row["name"] for row in csv.DictReader(io.StringIO(text))}

    assert names["F-1"] == "'=cmd|' /C calc'!A0"
    assert names["F-2"] == "'@SUM(A1)"
    assert names["F-3"] == "'+1"
    assert names["F-4"] == "'-2"
    assert names["PLAIN"] == "Plain mug"
    import_id = inventory_csv.stage_upload(
        merchant=merchant, kind=inventory_csv.PRODUCTS, filename="back.csv", data=text.encode()
    )
    plan = inventory_csv.preview_import(merchant=merchant, import_id=import_id)
    assert plan.ok and plan.to_create == 0 and plan.to_update == 0


EXAMPLES = itertools.count()  # a fresh order reference per example
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_product_imports_are_whole_or_refused_never_a_500(merchant, client_a):
    imported = []

    @FUZZ
    @given(rows=st.lists(PRODUCT_ROW, min_size=1, max_size=4))
    def import_products(rows):
        rows = [[f"FZ-{n}", *row] for n, row in enumerate(rows)]
        before = Product.objects.for_merchant(merchant).count()
        data = _encode([PRODUCT_HEADER, *rows])

        response = client_a.post(
            reverse("inventory_import"), {"kind": "products", "file": _upload("p.csv", data)}
        )
        assert response.status_code in (200, 422)
        if response.status_code == 422:
            assert Product.objects.for_merchant(merchant).count() == before
            return
        plan = response.context["plan"]
        confirm = client_a.post(
            reverse("inventory_import_confirm"),
            {"import_id": response.context["confirm_form"].initial["import_id"]},
        )
        assert confirm.status_code in (302, 422)
        created = Product.objects.for_merchant(merchant).count() - before
        assert created in (0, plan.to_create)
        assert (confirm.status_code == 302) == (created == plan.to_create)
        imported.append(confirm.status_code == 302)

    import_products()
    # A fuzzer that only ever produced refused files would prove nothing about partial imports.
    assert any(imported), "no generated file was imported whole"


def test_order_imports_are_whole_or_refused_never_a_500(merchant, client_a, shop):
    imported = []

    @FUZZ
    @given(
        rows=st.lists(
            st.tuples(st.sampled_from(["MUG", "TEA", "NOPE"]), CELL, NUMBER, CELL),
            min_size=1,
            max_size=4,
        )
    )
    def import_orders(rows):
        example = next(EXAMPLES)
        before = Order.objects.for_merchant(merchant).count()
        reserved_before = list(
            StockLevel.objects.for_merchant(merchant).values_list("reserved", flat=True)
        )
        lines = [
            [f"FZ-{example}-{n}", name, "60614", sku, quantity, city, "IL"]
            for n, (sku, name, quantity, city) in enumerate(rows)
        ]
        data = _encode([ORDER_HEADER, *lines])

        response = client_a.post(reverse("orders_import"), {"file": _upload("o.csv", data)})
        assert response.status_code in (200, 422)
        if response.status_code == 200:
            confirm = client_a.post(
                reverse("orders_import_confirm"),
                {"import_id": response.context["confirm_form"].initial["import_id"]},
            )
            assert confirm.status_code in (302, 422)
        created = Order.objects.for_merchant(merchant).count() - before
        planned = len(response.context["plan"].orders) if response.status_code == 200 else 0
        assert created in (0, planned)
        if created == 0:
            reserved = StockLevel.objects.for_merchant(merchant).values_list("reserved", flat=True)
            assert list(reserved) == reserved_before
        imported.append(created > 0)

    import_orders()
    assert any(imported), "no generated file was imported whole"
