"""In Chromium, under the strict CSP: Fleet → Drivers invites a driver by email (who signs in
on a phone-sized page after confirming), a vehicle is added in pounds, the driver is
deactivated in place through htmx, and own delivery is saved for a hub."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from fulfillment.models import CourierAccount, Driver
from tests.factories.merchant import make_point
from tests.fulfillment.orders.test_pages_browser import sign_in
from tests.support.helpers import screenshot, wait_for
from tests.test_csp_browser import COLLECT_VIOLATIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_fleet_is_set_up_in_the_dashboard_and_a_driver_signs_in(live_server, page, merchant_a):
    page.add_init_script(COLLECT_VIOLATIONS)
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    make_point(merchant_a.merchant, name="Wicker Park", postal_code="60622")
    sign_in(page, live_server, merchant_a)

    page.goto(f"{live_server.url}/app/")
    page.get_by_role("link", name="Fleet").first.click()
    expect(page.get_by_text("No drivers yet")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Ana Ruiz")
    page.get_by_label("Email address").fill("ana@example.com")
    page.get_by_role("checkbox", name="Email").check()
    page.get_by_role("button", name="Add driver").click()
    expect(page.get_by_text("Sign-in link sent to ana@example.com")).to_be_visible()
    assert wait_for(lambda: len(mail.outbox) == 1)
    link = re.search(r"http://[^\s]+/d/[^\s/]+/", mail.outbox[0].body).group(0)

    page.get_by_role("link", name="Vehicles").click()
    page.get_by_label("Name", exact=True).fill("Cargo bike 1")
    page.get_by_label("Kind", exact=True).select_option("cargo_bike")
    page.get_by_label("Parcels it carries").fill("20")
    page.get_by_label("Weight it carries (lb)").fill("220")
    page.get_by_label("Load space (litres)").fill("250")
    page.get_by_role("button", name="Add vehicle").click()
    expect(page.get_by_role("row", name="Cargo bike 1")).to_contain_text("220 lb")

    page.get_by_role("link", name="Delivery services").click()
    page.get_by_label("Hub", exact=True).select_option(label="Wicker Park")
    page.get_by_label("Name", exact=True).fill("Wicker Park same day")
    page.get_by_label("Radius (km)").fill("6")
    page.get_by_label("Cost per driver hour").fill("20")
    page.get_by_label("Cost per km", exact=True).fill("0.40")
    page.get_by_label("Cost per stop").fill("1.50")
    page.get_by_label("Cut-off", exact=True).fill("13:00")
    page.get_by_label("Waves", exact=True).fill("10:00, 15:00")
    page.get_by_role("button", name="Save own delivery").click()
    expect(page.get_by_role("row", name="Wicker Park same day")).to_contain_text("10:00, 15:00")
    assert CourierAccount.objects.filter(courier="own_fleet").count() == 1
    screenshot(page, "fleet-services")

    phone_context = page.context.browser.new_context(viewport={"width": 390, "height": 844})
    phone = phone_context.new_page()  # the driver's phone: its own cookies
    phone.goto(link.replace("http://localhost:8000", live_server.url))
    phone.get_by_role("button", name="Sign in as Ana").click()
    assert wait_for(lambda: Driver.objects.get().last_seen_at is not None)
    phone_context.close()

    page.get_by_role("link", name="Drivers").click()
    url_before = page.url
    page.get_by_role("row", name="Ana Ruiz").get_by_role("button", name="Deactivate").click()
    expect(page.get_by_text("No drivers yet")).to_be_visible()
    assert page.url == url_before and not Driver.objects.get().is_active
    assert page.evaluate("window.__cspViolations") == [] and errors == []
