"""In Chromium, under the strict CSP: Capacity from the main navigation shows the hub's 14 days
as bars and a table, booking a courier pick-up for tomorrow turns its short day covered, and
choosing another point swaps its part of the page (htmx)."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from merchant.selectors.demand import merchant_today
from tests.factories.merchant import make_point
from tests.fulfillment.orders.test_pages_browser import sign_in
from tests.support.helpers import screenshot
from tests.test_csp_browser import COLLECT_VIOLATIONS

from .conftest import build_shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_merchant_reads_the_advice_and_books_a_pick_up(live_server, page, merchant_a):
    page.add_init_script(COLLECT_VIOLATIONS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    today = merchant_today(merchant_a.merchant)
    build_shop(merchant_a.merchant, today=today)
    tomorrow = today + dt.timedelta(days=1)
    sign_in(page, live_server, merchant_a)

    page.goto(f"{live_server.url}/app/")
    page.get_by_role("link", name="Capacity").first.click()
    expect(page.get_by_role("heading", name="Lincoln Park: the next 14 days")).to_be_visible()
    expect(page.locator("svg g.day")).to_have_count(14)
    row = page.get_by_role("row", name=f"{tomorrow:%a %b} {tomorrow.day}")
    expect(row).to_contain_text("your 2 drivers cover 80: add 1 driver or move 20 to Bike")
    screenshot(page, "capacity-page")

    page.get_by_label("Storage point").select_option(label="Lincoln Park")
    page.get_by_label("Courier", exact=True).select_option(label="Parcel Co")
    page.get_by_role("checkbox", name=f"{tomorrow:%a}").check()
    page.get_by_label("Parcels it takes at most").fill("25")
    page.get_by_role("button", name="Record pick-up").click()
    expect(page.get_by_text("Pick-up by Parcel Co at Lincoln Park booked.")).to_be_visible()
    row = page.get_by_role("row", name=f"{tomorrow:%a %b} {tomorrow.day}")
    expect(row).to_contain_text("your 2 drivers and the Parcel Co pick-up cover 105: 5 to spare")

    # Another point through htmx: the point's part of the page is swapped, the URL follows.
    loop = make_point(merchant_a.merchant, name="Loop", postal_code="60601")
    page.reload()
    page.get_by_label("Show point").select_option(label="Loop")
    expect(page.get_by_role("heading", name="Loop: the next 14 days")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/app/capacity/?point={loop.pk}")
    expect(page.get_by_text("No courier pick-ups booked here")).to_be_visible()
    assert page.evaluate("window.__cspViolations || []") == []
    assert errors == []
