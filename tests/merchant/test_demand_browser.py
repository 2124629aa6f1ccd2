"""A merchant with a year of demo demand reads the demand page in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from demo.seeders.history import generate_demo_history
from tests.factories.merchant import make_point, make_product
from tests.support.helpers import PASSWORD, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_merchant_reads_the_forecast_chart_and_advice(page, live_server, merchant_a):
    merchant = merchant_a.merchant
    products = [make_product(merchant, sku=f"CHI-{n}") for n in range(1, 6)]
    make_point(merchant, name="Lincoln Park room", postal_code="60614")
    generate_demo_history(merchant=merchant, products=products)

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(merchant_a.owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Demand").click()

    expect(page.get_by_role("heading", name="Demand", level=1)).to_be_visible()
    chart = page.get_by_role("img", name="Daily orders for the last 84 days")
    expect(chart).to_be_visible()
    expect(page.locator("ul.advice li").first).to_contain_text("above a normal")
    screenshot(page, "demand-page")
    page.get_by_text("Chart data as a table").click()
    expect(page.get_by_role("table", name="Forecast, next 28 days")).to_be_visible()
