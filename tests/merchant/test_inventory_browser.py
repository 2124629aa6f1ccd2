"""A merchant imports a products CSV in Chromium: a bad row is named, a good file is
previewed, confirmed and its products listed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from merchant.models import Product
from tests.support.helpers import PASSWORD, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "sku,name,weight_g,length_mm,width_mm,height_mm,value"


def write_csv(tmp_path, name: str, rows: list[str]) -> str:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return str(path)


def test_import_preview_names_the_bad_row_then_a_good_file_is_imported(
    live_server, page, merchant_a, tmp_path
):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(merchant_a.owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inventory").click()
    page.get_by_role("navigation", name="Inventory").get_by_role(
        "link", name="Import and export"
    ).click()

    bad = write_csv(
        tmp_path,
        "bad.csv",
        ["MATCHA-1,Matcha tin,120,80,80,90,1800", "HOJI-1,Hojicha,-5,80,80,90,1200"],
    )
    page.get_by_label("Products", exact=True).check()
    page.get_by_label("CSV file").set_input_files(bad)
    page.get_by_role("button", name="Upload and preview").click()

    errors = page.locator("#import-errors")
    expect(
        page.get_by_role("heading", name="1 problem found: nothing was imported")
    ).to_be_visible()
    expect(errors.locator("tbody tr")).to_have_count(1)
    expect(errors.locator("tbody tr td").nth(0)).to_have_text("3")
    expect(errors.locator("tbody tr td").nth(1)).to_have_text("weight_g")
    expect(errors.locator("tbody tr td").nth(2)).to_contain_text("at least 1")
    screenshot(page, "inventory-import-preview")
    assert not Product.objects.exists()

    good = write_csv(
        tmp_path,
        "good.csv",
        ["MATCHA-1,Matcha tin,120,80,80,90,1800", "HOJI-1,Hojicha,150,80,80,90,1200"],
    )
    page.get_by_label("Products", exact=True).check()
    page.get_by_label("CSV file").set_input_files(good)
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.locator("#import-counts")).to_contain_text("Products to create")
    expect(page.locator("#import-counts dd").first).to_have_text("2")
    page.get_by_role("button", name="Confirm import").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Products")
    expect(page.get_by_role("status")).to_contain_text("2 products created")
    table = page.locator("#product-table")
    expect(table.get_by_role("link", name="MATCHA-1")).to_be_visible()
    expect(table.get_by_role("link", name="HOJI-1")).to_be_visible()
    assert set(Product.objects.values_list("sku", flat=True)) == {"MATCHA-1", "HOJI-1"}
