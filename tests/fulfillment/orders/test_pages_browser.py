"""In Chromium: the order CSV import preview names a bad row, then a good file is imported;
today's work shows counts, a bulk "mark picked" moves orders and the counts follow (also
when another person moves an order: the counts poll every 10 s)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fulfillment.models import Order
from fulfillment.orders.services.orders import advance_order, create_order
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import order_data, stock
from tests.fulfillment.orders.test_csv_import import HEADER, row
from tests.support.helpers import PASSWORD, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, merchant_a) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(merchant_a.owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def write_csv(tmp_path, name: str, rows: list[str]) -> str:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return str(path)


def test_order_import_preview_names_the_bad_row_then_a_good_file_is_imported(
    live_server, page, merchant_a, tmp_path
):
    merchant = merchant_a.merchant
    point = make_point(merchant, name="Lincoln Park", postal_code="60614")
    for sku in ("MUG", "TEA"):
        stock(merchant, point, make_product(merchant, sku=sku), 50)
    sign_in(page, live_server, merchant_a)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Orders").click()
    expect(page.get_by_role("heading", name="No orders yet")).to_be_visible()
    page.get_by_role("link", name="Import a CSV").first.click()

    bad = write_csv(
        tmp_path,
        "bad.csv",
        [row("WEB-1", "MUG", 1), row("WEB-2", "TEA", 1), row("WEB-3", "MUGG", 1)],
    )
    page.get_by_label("CSV file").set_input_files(bad)
    page.get_by_role("button", name="Upload and preview").click()
    expect(
        page.get_by_role("heading", name="1 problem found: nothing was imported")
    ).to_be_visible()
    cells = page.locator("#import-errors tbody tr td")
    expect(cells.nth(0)).to_have_text("4")
    expect(cells.nth(1)).to_have_text("sku")
    expect(cells.nth(2)).to_contain_text("MUGG")
    screenshot(page, "orders-import-preview")
    assert not Order.objects.exists()

    good = write_csv(
        tmp_path,
        "good.csv",
        [row("WEB-1", "MUG", 1), row("WEB-2", "TEA", 1), row("WEB-1", "TEA", 2, city="Chicago")],
    )
    page.get_by_label("CSV file").set_input_files(good)
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="Ready to import 2 orders")).to_be_visible()
    page.get_by_role("button", name="Confirm import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Orders")
    expect(page.get_by_role("status")).to_contain_text("2 orders created with 3 lines")
    expect(page.get_by_role("link", name="WEB-1")).to_be_visible()
    expect(page.get_by_role("link", name="WEB-2")).to_be_visible()
    assert Order.objects.filter(source="csv").count() == 2


def test_todays_work_counts_bulk_mark_picked_and_live_counts(live_server, page, merchant_a):
    merchant = merchant_a.merchant
    point = make_point(merchant, name="Lincoln Park", postal_code="60614")
    stock(merchant, point, make_product(merchant, sku="MUG", name="Enamel mug"), 50)
    orders = [
        create_order(merchant=merchant, data=order_data(("MUG", n + 1), reference=f"TW-{n}"))[0]
        for n in range(3)
    ]
    sign_in(page, live_server, merchant_a)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Today's work").click()
    card = page.locator(f'#work-counts [data-point="{point.pk}"]')
    expect(card.locator('[data-count="to_pick"]')).to_have_text("3")
    expect(card.locator('[data-count="to_pack"]')).to_have_text("0")
    expect(page.locator("#pick-list")).to_contain_text("Enamel mug")

    page.get_by_label("Select order TW-0").check()
    page.get_by_label("Select order TW-1").check()
    page.get_by_role("button", name="Mark picked (selected)").click()
    expect(page.get_by_role("status")).to_contain_text("2 order(s) marked picked")
    card = page.locator(f'#work-counts [data-point="{point.pk}"]')
    expect(card.locator('[data-count="to_pick"]')).to_have_text("1")
    expect(card.locator('[data-count="to_pack"]')).to_have_text("2")
    screenshot(page, "todays-work")

    # Someone else picks the last order: the polled counts follow without a reload.
    advance_order(order=orders[2], to_status="picked", user=None)
    expect(card.locator('[data-count="to_pick"]')).to_have_text("0", timeout=15_000)
    expect(card.locator('[data-count="to_pack"]')).to_have_text("3")
