"""CSV import of orders: preview names every bad row, nothing is written unless all rows are
good, rows of one reference make one order, big files import through an idempotent job."""

from __future__ import annotations

import pytest

from fulfillment.models import Order, OrderLine
from fulfillment.orders.services import csv_import as order_csv
from merchant.models import Job
from merchant.services.jobs import run_job
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import stock

HEADER = (
    "reference,shopper_name,shopper_email,shopper_phone,line1,line2,city,state,postal_code,"
    "country,service_level,sku,quantity"
)


def row(reference: str, sku: str = "MUG", quantity: object = 1, **fields: str) -> str:
    values = {
        "shopper_name": "Ada Shopper",
        "shopper_email": "ada@example.com",
        "shopper_phone": "3125550100",
        "line1": "2001 N Clark St",
        "line2": "",
        "city": "Chicago",
        "state": "IL",
        "postal_code": "60614",
        "country": "US",
        "service_level": "next_day",
    }
    values.update(fields)
    cells = [reference, *values.values(), sku, str(quantity)]
    return ",".join(cells)


def csv_bytes(rows: list[str], header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


@pytest.fixture
def merchant(merchant_a):
    return merchant_a.merchant


@pytest.fixture
def shop(merchant):
    point = make_point(merchant, name="Lincoln Park", postal_code="60614")
    products = [make_product(merchant, sku=sku, value=1000) for sku in ("MUG", "TEA", "JAM", "CUP")]
    for product in products:
        stock(merchant, point, product, 100_000)
    return point


def preview(merchant, data: bytes, name: str = "orders.csv"):
    import_id = order_csv.stage_order_upload(merchant=merchant, filename=name, data=data)
    return import_id, order_csv.preview_order_import(merchant=merchant, import_id=import_id)


@pytest.mark.django_db
def test_rows_with_the_same_reference_make_one_order(client_a, merchant, shop):
    data = csv_bytes(
        [
            row("WEB-1", "MUG", 2),
            row("WEB-2", "TEA", 1, postal_code="60616", city="Chicago"),
            ",".join(["WEB-1", *[""] * 10, "JAM", "3"]),  # order columns left blank
        ]
    )
    response = client_a.post("/app/orders/import/", {"file": _upload(data)})
    assert response.status_code == 200
    assert "Ready to import 2 orders" in response.content.decode()
    import_id = response.context["confirm_form"].initial["import_id"]
    response = client_a.post("/app/orders/import/confirm", {"import_id": import_id})
    assert response.status_code == 302
    web1 = Order.objects.get(reference="WEB-1")
    assert web1.source == "csv" and web1.status == "allocated"
    assert [(line.product.sku, line.quantity) for line in web1.lines.all()] == [
        ("MUG", 2),
        ("JAM", 3),
    ]
    assert Order.objects.count() == 2


def _upload(data: bytes, name: str = "orders.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/csv")


@pytest.mark.django_db
def test_one_bad_row_among_a_thousand_is_named_and_nothing_is_written(client_a, merchant, shop):
    rows = [row(f"WEB-{n}", ("MUG", "TEA")[n % 2], 1) for n in range(1000)]
    rows[736] = row("WEB-736", "MUG", "two")  # file line 738 (the header is line 1)
    response = client_a.post("/app/orders/import/", {"file": _upload(csv_bytes(rows))})
    assert response.status_code == 422
    plan = response.context["plan"]
    assert plan.error_count == 1
    error = plan.errors[0]
    assert (error.line, error.column) == (738, "quantity")
    assert "whole number" in error.message and "two" in error.message
    body = response.content.decode()
    assert "1 problem found: nothing was imported" in body and "738" in body
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_every_kind_of_bad_row_names_its_line_and_column(merchant, shop):
    _, plan = preview(
        merchant,
        csv_bytes(
            [
                row("A-1", "NOPE", 1),
                row("A-2", "MUG", 0),
                row("A-3", "MUG", 1, shopper_email="not-an-email"),
                row("A-4", "MUG", 1, service_level="tomorrow"),
                row("A-5", "MUG", 1, postal_code="00000"),
                row("A-6", "MUG", 1, shopper_name=""),
                row("A-7", "MUG", 1),
                row("A-7", "TEA", 1, postal_code="60616"),
                row("", "MUG", 1),
            ]
        ),
    )
    found = {(e.line, e.column) for e in plan.errors}
    assert found == {
        (2, "sku"),
        (3, "quantity"),
        (4, "shopper_email"),
        (5, "service_level"),
        (6, "postal_code"),
        (7, "shopper_name"),
        (9, "postal_code"),
        (10, "reference"),
    }


@pytest.mark.django_db
def test_a_wrong_header_an_existing_reference_and_bad_encoding_are_refused(merchant, shop):
    _, plan = preview(merchant, csv_bytes([row("X-1")], header="ref,name,sku,qty"))
    assert plan.errors[0].line == 1 and "Wrong header" in plan.errors[0].message
    _, plan = preview(merchant, "reference,shopper_name\n\xff".encode("latin-1"))
    assert "not UTF-8" in plan.errors[0].message

    _, plan = preview(merchant, csv_bytes([row("DUP-1")]))
    order_csv.apply_order_import(merchant=merchant, import_id=_)
    _, plan = preview(merchant, csv_bytes([row("DUP-1")]))
    assert [(e.line, e.column) for e in plan.errors] == [(2, "reference")]


@pytest.mark.django_db
def test_more_units_than_in_stock_is_refused_before_anything_is_written(merchant, shop):
    _, plan = preview(
        merchant, csv_bytes([row("BIG-1", "MUG", 60_000), row("BIG-2", "MUG", 50_000)])
    )
    assert [(e.line, e.column) for e in plan.errors] == [(2, "quantity")]
    assert "110000 × MUG" in plan.errors[0].message


@pytest.mark.django_db
def test_address_problems_are_warnings_and_the_orders_wait_in_exceptions(merchant, shop):
    import_id, plan = preview(
        merchant, csv_bytes([row("P-1", city="Evanston"), row("P-2", line1="PO Box 12")])
    )
    assert plan.ok and plan.warning_count == 2
    result = order_csv.apply_order_import(merchant=merchant, import_id=import_id)
    assert result.flagged == 2
    assert set(Order.objects.values_list("address_status", flat=True)) == {"problem"}


@pytest.mark.django_db
def test_confirming_the_same_upload_twice_makes_the_orders_once(client_a, merchant, shop):
    import_id, _ = preview(merchant, csv_bytes([row("ONCE-1"), row("ONCE-2", "TEA")]))
    first = order_csv.apply_order_import(merchant=merchant, import_id=import_id)
    assert first.created == 2
    response = client_a.post("/app/orders/import/confirm", {"import_id": import_id})
    assert response.status_code == 422  # the references exist now
    assert Order.objects.count() == 2


@pytest.mark.django_db
def test_a_file_above_the_job_threshold_imports_through_the_job_once(merchant, shop):
    # 300 orders of 4 lines: above BACKGROUND_ABOVE rows, so a job writes them. (10,000 rows took
    # two minutes of the suite: how fast a big file imports is a benchmark's question.)
    skus = ["MUG", "TEA", "JAM", "CUP"]
    rows = [row(f"BIG-{n // 4}", skus[n % 4], 1) for n in range(1_200)]
    import_id, plan = preview(merchant, csv_bytes(rows))
    assert plan.ok and plan.in_background and len(plan.orders) == 300
    confirmed = order_csv.confirm_order_import(merchant=merchant, import_id=import_id)
    job = confirmed.job
    assert job is not None and not Order.objects.exists()

    job = run_job(job.pk)
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.result["applied"] and job.done == job.total == 1_200
    assert Order.objects.count() == 300 and OrderLine.objects.count() == 1_200

    # A retried job (say the worker died after the commit) writes nothing twice.
    Job.objects.filter(pk=job.pk).update(state=Job.State.QUEUED)
    again = run_job(job.pk)
    assert again.state == Job.State.SUCCEEDED
    assert Order.objects.count() == 300


@pytest.mark.django_db
def test_a_job_whose_file_went_bad_fails_with_the_line_and_writes_nothing(merchant, shop):
    rows = [row(f"J-{n}", "MUG", 1) for n in range(1001)]
    import_id, _ = preview(merchant, csv_bytes(rows))
    job = order_csv.confirm_order_import(merchant=merchant, import_id=import_id).job
    # Another order takes the reference of the 501st row before the job runs.
    from fulfillment.orders.services.orders import create_order
    from tests.factories.orders import order_data

    create_order(merchant=merchant, data=order_data(("MUG", 1), reference="J-500"))
    job = run_job(job.pk)
    assert job.state == Job.State.FAILED
    assert "Line 502, column reference" in job.error
    assert Order.objects.count() == 1
