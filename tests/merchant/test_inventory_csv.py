"""CSV import (preview first, all or nothing) and export of products and stock counts."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from merchant.models import Job, Product, StockLevel, StockMovement
from merchant.services import inventory_csv, jobs, stock
from merchant.services.stock import ledger_mismatches
from tests.factories.merchant import make_point, make_product

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]  # vendor branch: SQLite too

HEADER = "sku,name,weight_g,length_mm,width_mm,height_mm,value"


def products_csv(rows: int, *, bad_line: int | None = None) -> bytes:
    lines = [HEADER]
    for n in range(1, rows + 1):
        line_number = n + 1  # the header is line 1
        weight = -250 if line_number == bad_line else 250
        lines.append(f"SKU-{n:05d},Product {n},{weight},100,80,60,{n * 10}")
    return ("\n".join(lines) + "\n").encode()


def stage_and_preview(merchant, kind, data, filename="file.csv"):
    import_id = inventory_csv.stage_upload(
        merchant=merchant, kind=kind, filename=filename, data=data
    )
    return import_id, inventory_csv.preview_import(merchant=merchant, import_id=import_id)


def upload(client, kind, data, filename="products.csv"):
    return client.post(
        reverse("inventory_import"),
        {"kind": kind, "file": SimpleUploadedFile(filename, data, content_type="text/csv")},
    )


def test_thousand_rows_with_a_negative_weight_on_line_537_write_nothing(merchant_a, client_a):
    response = upload(client_a, "products", products_csv(1000, bad_line=537))
    assert response.status_code == 422
    plan = response.context["plan"]
    assert [(e.line, e.column) for e in plan.errors] == [(537, "weight_g")]
    assert "at least 1" in plan.errors[0].message and "-250" in plan.errors[0].message
    html = response.content.decode()
    assert "<td>537</td><td>weight_g</td>" in html
    assert "Confirm import" not in html
    assert not Product.objects.exists()


def test_the_fixed_thousand_row_file_is_previewed_then_written_in_full(merchant_a, client_a):
    response = upload(client_a, "products", products_csv(1000))
    plan = response.context["plan"]
    assert (plan.ok, plan.to_create, plan.to_update) == (True, 1000, 0)
    assert not Product.objects.exists()  # preview writes nothing

    import_id = response.context["confirm_form"].initial["import_id"]
    confirmed = client_a.post(reverse("inventory_import_confirm"), {"import_id": import_id})
    assert confirmed.url == reverse("product_list")
    assert Product.objects.for_merchant(merchant_a.merchant).count() == 1000
    assert Product.objects.get(sku="SKU-00536").weight_g == 250  # the row on line 537


def test_importing_the_same_file_again_updates_nothing(merchant_a):
    m = merchant_a.merchant
    import_id, _ = stage_and_preview(m, "products", products_csv(20))
    inventory_csv.apply_import(merchant=m, import_id=import_id)
    _, again = stage_and_preview(m, "products", products_csv(20))
    assert (again.to_create, again.to_update, again.unchanged) == (0, 0, 20)


def test_changed_rows_update_existing_products(merchant_a):
    m = merchant_a.merchant
    make_product(m, sku="SKU-00001", name="Old name")
    data = f"{HEADER}\nSKU-00001,New name,9,9,9,9,9\nSKU-00002,Fresh,1,1,1,1,0\n".encode()
    import_id, plan = stage_and_preview(m, "products", data)
    assert (plan.to_create, plan.to_update) == (1, 1)
    inventory_csv.apply_import(merchant=m, import_id=import_id)
    assert Product.objects.get(sku="SKU-00001").name == "New name"


def test_duplicate_skus_in_the_file_are_named_with_both_lines(merchant_a):
    data = f"{HEADER}\nA,One,1,1,1,1,0\nB,Two,1,1,1,1,0\nA,Again,1,1,1,1,0\n".encode()
    _, plan = stage_and_preview(merchant_a.merchant, "products", data)
    assert [(e.line, e.column) for e in plan.errors] == [(4, "sku")]
    assert "line 2" in plan.errors[0].message


def test_non_integer_numbers_are_named_by_line_and_column(merchant_a):
    data = f"{HEADER}\nA,One,1.5,1,1,1,0\nB,Two,1,1,1,1,abc\n".encode()
    _, plan = stage_and_preview(merchant_a.merchant, "products", data)
    assert [(e.line, e.column) for e in plan.errors] == [(2, "weight_g"), (3, "value")]


def test_a_wrong_header_is_a_clear_error(merchant_a, client_a):
    data = b"sku,title,weight,length_mm,width_mm,height_mm,value\nA,One,1,1,1,1,0\n"
    response = upload(client_a, "products", data)
    error = response.context["plan"].errors[0]
    assert error.line == 1
    assert "Wrong header" in error.message and HEADER in error.message
    assert "missing name, weight_g" in error.message
    assert "Wrong header" in response.content.decode()


def test_a_file_that_is_not_utf8_is_a_clear_error(merchant_a, client_a):
    data = f"{HEADER}\nA,Café,1,1,1,1,0\n".encode("latin-1")
    response = upload(client_a, "products", data)
    assert response.status_code == 422
    error = response.context["plan"].errors[0]
    assert error.line == 2 and "not UTF-8" in error.message
    assert "not UTF-8" in response.content.decode()
    assert not Product.objects.exists()


def test_a_utf8_file_with_a_bom_is_read(merchant_a):
    data = "\ufeff".encode() + f"{HEADER}\r\nA,Café,1,1,1,1,0\r\n".encode()
    _, plan = stage_and_preview(merchant_a.merchant, "products", data)
    assert plan.ok and plan.rows[0]["name"] == "Café"


def test_a_file_over_five_megabytes_is_refused_before_it_is_read(client_a):
    response = upload(client_a, "products", b"x" * (5 * 1024 * 1024 + 1))
    assert response.status_code == 422
    assert "limit is 5 MB" in response.content.decode()


def test_a_file_with_more_than_50000_rows_is_refused(merchant_a):
    rows = "\n".join(f"S{n},N,1,1,1,1,0" for n in range(50_001))
    _, plan = stage_and_preview(merchant_a.merchant, "products", f"{HEADER}\n{rows}\n".encode())
    assert not plan.ok
    assert any("more than 50,000 rows" in e.message for e in plan.errors)


# --- Stock counts -----------------------------------------------------------------------------


def test_stock_counts_write_one_adjustment_per_changed_level_and_the_ledger_agrees(
    merchant_a, client_a
):
    m = merchant_a.merchant
    north, _south = make_point(m, name="North"), make_point(m, name="South")
    tea, mug = make_product(m, sku="TEA"), make_product(m, sku="MUG")
    stock.receive_stock(merchant=m, product=tea, point=north, quantity=10)
    stock.receive_stock(merchant=m, product=mug, point=north, quantity=4)
    stock.reserve_stock(merchant=m, product=tea, point=north, quantity=3)
    data = (
        b"sku,point,on_hand,low_stock_threshold\n"
        b"TEA,North,7,2\n"  # 10 -> 7
        b"TEA,South,5,\n"  # new level
        b"MUG,North,4,1\n"  # unchanged count, threshold only
    )
    response = upload(client_a, "stock", data, filename="count-may.csv")
    plan = response.context["plan"]
    assert (plan.ok, plan.to_update, plan.unchanged) == (True, 3, 0)
    import_id = response.context["confirm_form"].initial["import_id"]
    client_a.post(reverse("inventory_import_confirm"), {"import_id": import_id})

    adjustments = StockMovement.objects.filter(merchant=m, kind="adjust").order_by("pk")
    assert [(a.product.sku, a.point.name, a.on_hand_delta) for a in adjustments] == [
        ("TEA", "North", -3),
        ("TEA", "South", 5),
    ]
    assert {a.reason for a in adjustments} == {"CSV stock count count-may.csv"}
    levels = {
        (lv.product.sku, lv.point.name): (lv.on_hand, lv.reserved, lv.low_stock_threshold)
        for lv in StockLevel.objects.filter(merchant=m)
    }
    assert levels == {
        ("TEA", "North"): (7, 3, 2),
        ("TEA", "South"): (5, 0, 0),
        ("MUG", "North"): (4, 0, 1),
    }
    assert ledger_mismatches(m) == []


def test_stock_count_rows_with_unknown_names_or_bad_numbers_are_all_listed(merchant_a):
    m = merchant_a.merchant
    make_point(m, name="North")
    make_product(m, sku="TEA")
    data = (
        b"sku,point,on_hand\nNOPE,North,1\nTEA,Nowhere,1\nTEA,North,-2\nTEA,North,3\nTEA,North,4\n"
    )
    _, plan = stage_and_preview(m, "stock", data)
    assert [(e.line, e.column) for e in plan.errors] == [
        (2, "sku"),
        (3, "point"),
        (4, "on_hand"),
        (5, "sku"),  # the same product and point as line 4
        (6, "sku"),
    ]
    assert "line 4" in plan.errors[3].message
    assert not StockLevel.objects.exists()


def test_a_count_below_the_reserved_units_is_refused_in_the_preview(merchant_a):
    m = merchant_a.merchant
    point, product = make_point(m, name="North"), make_product(m, sku="TEA")
    stock.receive_stock(merchant=m, product=product, point=point, quantity=5)
    stock.reserve_stock(merchant=m, product=product, point=point, quantity=4)
    _, plan = stage_and_preview(m, "stock", b"sku,point,on_hand\nTEA,North,3\n")
    assert [(e.line, e.column) for e in plan.errors] == [(2, "on_hand")]


def test_one_failing_row_at_write_time_rolls_back_every_row(merchant_a):
    m = merchant_a.merchant
    point = make_point(m, name="North")
    tea, mug = make_product(m, sku="TEA"), make_product(m, sku="MUG")
    stock.receive_stock(merchant=m, product=mug, point=point, quantity=5)
    import_id, plan = stage_and_preview(
        m, "stock", b"sku,point,on_hand\nTEA,North,9\nMUG,North,1\n"
    )
    assert plan.ok
    # Between preview and confirm, an order reserves the MUG units.
    stock.reserve_stock(merchant=m, product=mug, point=point, quantity=4)
    with pytest.raises(Exception, match="Line 3"):
        inventory_csv.apply_import(merchant=m, import_id=import_id)
    assert not StockLevel.objects.filter(product=tea, on_hand__gt=0).exists()
    assert StockLevel.objects.get(product=mug).on_hand == 5


def test_a_large_file_is_imported_by_a_job_that_writes_nothing_twice(merchant_a, client_a):
    m = merchant_a.merchant
    point = make_point(m, name="North")
    Product.objects.bulk_create(
        [
            Product(
                merchant=m, sku=f"P{n}", name="p", weight_g=1, length_mm=1, width_mm=1, height_mm=1
            )
            for n in range(1200)
        ]
    )
    data = "sku,point,on_hand\n" + "".join(f"P{n},North,{n % 7 + 1}\n" for n in range(1200))
    response = upload(client_a, "stock", data.encode(), filename="big.csv")
    import_id = response.context["confirm_form"].initial["import_id"]
    confirmed = client_a.post(reverse("inventory_import_confirm"), {"import_id": import_id})
    job = Job.objects.get(merchant=m, kind="inventory.import_csv")
    assert confirmed.url == reverse("job_detail", args=[job.pk])
    assert not StockMovement.objects.exists()  # not written in the request

    jobs.run_job(job.pk)  # what the worker does
    job.refresh_from_db()
    assert job.state == "succeeded", job.error
    assert StockMovement.objects.filter(merchant=m, point=point).count() == 1200
    assert job.result["applied"] is True

    # A redelivery after the worker died between commit and recording the outcome.
    Job.objects.filter(pk=job.pk).update(state="queued")
    jobs.run_job(job.pk)
    assert StockMovement.objects.filter(merchant=m).count() == 1200
    assert ledger_mismatches(m) == []


# --- Export ---------------------------------------------------------------------------------


def test_exports_stream_csv_that_the_import_reads_back(merchant_a, client_a):
    m = merchant_a.merchant
    point, product = make_point(m, name="North"), make_product(m, sku="TEA", name="Té, verde")
    stock.receive_stock(merchant=m, product=product, point=point, quantity=6)

    response = client_a.get(reverse("inventory_export_products"))
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content)
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0] == HEADER.split(",") and rows[1][:2] == ["TEA", "Té, verde"]
    _, plan = stage_and_preview(m, "products", body)
    assert (plan.ok, plan.unchanged) == (True, 1)

    body = b"".join(client_a.get(reverse("inventory_export_stock")).streaming_content)
    assert body.decode().splitlines() == ["sku,point,on_hand,low_stock_threshold", "TEA,North,6,0"]
    _, plan = stage_and_preview(m, "stock", body)
    assert (plan.ok, plan.unchanged) == (True, 1)


def test_confirming_an_unknown_upload_sends_back_to_the_upload_page(client_a):
    response = client_a.post(reverse("inventory_import_confirm"), {"import_id": "0" * 32})
    assert response.status_code in (302, 422)
    assert not Product.objects.exists()
