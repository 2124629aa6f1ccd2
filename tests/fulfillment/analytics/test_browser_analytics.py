"""In Chromium: the Analytics page of a known history. Choosing a courier swaps the report
through htmx (the figures and the map change, the URL carries the filter, Back restores the
period's figures), a bad ZIP is an error beside its field, a preset sets the dates, and the
CSV the export button downloads holds the rows whose totals the page shows."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from merchant.money import format_money
from tests.fulfillment.analytics.test_pages import END, PERIOD, START, seed_history
from tests.support.helpers import screenshot, sign_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def cell(page, figure: str, column: int = 0):
    """A figure's cell in its section's table: 0 this period, 1 the previous one, 2 change."""
    return page.locator(f'tr[data-figure="{figure}"]').first.locator("td").nth(column)


def test_filters_swap_the_figures_and_the_url_and_the_export_matches_the_page(
    live_server, page, merchant_a
):
    history = seed_history(merchant_a.merchant)
    sign_in_browser(page, live_server, merchant_a.owner)
    page.goto(f"{live_server.url}/app/analytics/?{PERIOD}")

    expect(cell(page, "orders")).to_have_text("4")
    expect(cell(page, "orders", 1)).to_have_text("2")
    expect(cell(page, "label_spend_minor")).to_have_text("$21.00")
    # The ZIP map drew a circle per ZIP (60601 and 60614) at its centroid.
    expect(page.locator("#analytics-map path.leaflet-interactive")).to_have_count(2)
    screenshot(page, "analytics-page")

    page.get_by_role("combobox", name="Courier").select_option(label="Metro Post")
    expect(cell(page, "orders")).to_have_text("1")
    expect(cell(page, "label_spend_minor")).to_have_text("$9.00")
    expect(page).to_have_url(re.compile(rf"carrier={history.metro.pk}"))
    assert f"date_from={START}" in page.url and f"date_to={END}" in page.url
    # The swapped fragment drew its own map: only 60601 has Metro's parcel.
    expect(page.locator("#analytics-map path.leaflet-interactive")).to_have_count(1)
    expect(page.locator("#zip-table tbody tr")).to_have_count(1)

    # The export downloads the CSV of the same filters: its totals are the page's figures
    # and its days the rows of the page's "Cost per day" table.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 14
    assert str(sum(int(r["orders"]) for r in rows)) == cell(page, "orders").inner_text()
    spend = sum(int(r["label_spend_minor"]) for r in rows)
    assert format_money(spend, "USD") == cell(page, "label_spend_minor").inner_text() == "$9.00"
    failed = sum(int(r["failed_attempts"]) for r in rows)
    assert str(failed) == cell(page, "failed_attempts").inner_text() == "2"
    page.get_by_text("Cost per day (the numbers of the charts)").click()  # unfold the table
    per_day = page.locator("table", has=page.locator("caption", has_text="Cost per day"))
    page_days = per_day.locator("tbody tr")
    expect(page_days).to_have_count(len(rows))
    for n, row in enumerate(rows):
        cells = page_days.nth(n).locator("td")
        assert cells.nth(0).inner_text() == row["orders"], row["day"]
        assert cells.nth(1).inner_text() == format_money(int(row["label_spend_minor"]), "USD")

    page.go_back()
    expect(cell(page, "orders")).to_have_text("4")

    # A bad ZIP: its error beside the field, the URL keeps the last good filters.
    url_before = page.url
    page.get_by_role("textbox", name="Destination ZIP").fill("<b>60614")
    page.get_by_role("textbox", name="Destination ZIP").press("Enter")
    expect(page.locator("#id_zip_error")).to_contain_text("ZIP code")
    assert page.url == url_before
    expect(page.locator("#analytics-report")).to_have_count(0)

    page.get_by_role("textbox", name="Destination ZIP").fill("")
    page.get_by_role("textbox", name="Destination ZIP").press("Enter")
    expect(cell(page, "orders")).to_have_text("4")
    page.get_by_role("link", name="Last 7 days").click()
    expect(page.get_by_role("link", name="Last 7 days")).to_have_attribute("aria-current", "true")
    expect(page).to_have_url(re.compile(r"date_from=\d{4}-\d\d-\d\d"))
    assert f"date_from={START}" not in page.url


# The element reaching furthest right, to say what to fix (inside a map or a scrolling table
# wrapper an element may be wider: those clip or scroll on their own).
WIDEST = """() => {
  let worst = null;
  for (const el of document.querySelectorAll("body *")) {
    if (el.parentElement.closest(".leaflet-container, .table-wrap")) continue;
    const r = el.getBoundingClientRect();
    if (r.right > 390.5 && (!worst || r.right > worst.right)) {
      worst = {tag: el.tagName, cls: String(el.className), id: el.id, right: r.right};
    }
  }
  return worst;
}"""


def test_the_page_fits_a_390_px_phone(live_server, chromium_browser, merchant_a):
    seed_history(merchant_a.merchant)
    context = chromium_browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    phone = context.new_page()
    try:
        sign_in_browser(phone, live_server, merchant_a.owner)
        phone.goto(f"{live_server.url}/app/analytics/?{PERIOD}")
        expect(cell(phone, "orders")).to_have_text("4")
        widest = phone.evaluate(WIDEST)
        assert phone.evaluate("document.scrollingElement.scrollWidth") <= 390, widest
        screenshot(phone, "analytics-phone")
    finally:
        context.close()
