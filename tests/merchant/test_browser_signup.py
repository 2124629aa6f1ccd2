"""A visitor signs up, finds the dashboard areas, signs out and in again, and issues a key:
all in headless Chromium against the live server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from merchant.models import ApiKey, Membership, Merchant, User
from tests.support.helpers import PASSWORD, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAV_AREAS = [
    "Orders",
    "Inventory",
    "Storage points",
    "Couriers",
    "Shipments",
    "Pickup network",
    "Labels",
    "Analytics",
    "Jobs",
    "Settings",
]
SHOP = "Prairie Tea House"
EMAIL = "owner@prairie-tea.example"
SECRET = "oolong-and-sencha-2024"


def fill_signup(page, *, shop: str, email: str, password1: str, password2: str) -> None:
    page.get_by_label("Shop name").fill(shop)
    page.get_by_label("Your email").fill(email)
    page.get_by_label("Password", exact=True).fill(password1)
    page.get_by_label("Password again").fill(password2)
    page.get_by_role("button", name="Create the account").click()


def test_visitor_signs_up_signs_out_signs_in_and_creates_a_publishable_key(live_server, page):
    page.goto(f"{live_server.url}/signup/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")

    fill_signup(page, shop=SHOP, email=EMAIL, password1=SECRET, password2=SECRET)

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Today at {SHOP}")
    assert page.url == f"{live_server.url}/app/"
    nav = page.get_by_role("navigation", name="Main")
    for area in NAV_AREAS:
        expect(nav.get_by_role("link", name=area, exact=True)).to_be_visible()
    merchant = Merchant.objects.get(name=SHOP)
    assert Membership.objects.get(merchant=merchant).user.email == EMAIL
    screenshot(page, "dashboard")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.goto(f"{live_server.url}/app/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/app/$"))

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(SECRET)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Today at {SHOP}")

    nav.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="API keys").click()
    expect(page).to_have_url(f"{live_server.url}/app/settings/api-keys/")
    page.get_by_label("Name").fill("Checkout widget")
    page.get_by_label("Kind").select_option("publishable")
    page.get_by_label("Allowed origins").fill("https://Tea.Example.com/")
    page.get_by_role("button", name="Create key").click()

    secret_block = page.locator("pre.secret")
    expect(secret_block).to_be_visible()
    raw = secret_block.inner_text().strip()
    assert raw.startswith("nbx_pk_")
    api_key = ApiKey.objects.get(merchant=merchant, name="Checkout widget")
    assert api_key.kind == ApiKey.Kind.PUBLISHABLE
    assert api_key.allowed_origins == ["https://tea.example.com"]
    assert raw.startswith(api_key.prefix)
    expect(page.get_by_role("table", name="API keys")).to_contain_text("https://tea.example.com")
    screenshot(page, "api-keys")

    page.reload()
    expect(page.get_by_role("table", name="API keys")).to_contain_text(api_key.prefix)
    # Reloading did not issue a second key.
    assert ApiKey.objects.filter(merchant=merchant, name="Checkout widget").count() == 1
    expect(page.locator("pre.secret")).to_have_count(0)
    assert raw not in page.content()
    screenshot(page, "api-keys-after-reload")


def test_bad_signup_shows_field_errors_and_creates_nothing(live_server, page, merchant_a):
    merchants, users = Merchant.objects.count(), User.objects.count()
    page.goto(f"{live_server.url}/signup/")

    fill_signup(page, shop="Mismatch Shop", email=EMAIL, password1=SECRET, password2=SECRET + "x")

    expect(page.get_by_label("Password again")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-invalid")).to_contain_text("The two passwords differ.")
    assert page.url == f"{live_server.url}/signup/"

    page.goto(f"{live_server.url}/signup/")
    fill_signup(
        page,
        shop="Taken Shop",
        email=merchant_a.owner.email,
        password1=PASSWORD,
        password2=PASSWORD,
    )

    expect(page.get_by_label("Your email")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-invalid")).to_contain_text("already has an account")
    screenshot(page, "signup-errors")
    assert Merchant.objects.count() == merchants
    assert User.objects.count() == users
    assert not Merchant.objects.filter(name__in=["Mismatch Shop", "Taken Shop"]).exists()


def test_skip_link_is_the_first_focusable_element_and_signup_inputs_have_labels(live_server, page):
    page.goto(f"{live_server.url}/signup/")

    page.keyboard.press("Tab")

    focused = page.evaluate(
        "() => [document.activeElement.tagName, document.activeElement.textContent.trim()]"
    )
    assert focused == ["A", "Skip to main content"]
    expect(page.get_by_role("link", name="Skip to main content")).to_be_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"

    for label, name in [
        ("Shop name", "merchant_name"),
        ("Your email", "email"),
        ("Password", "password1"),
        ("Password again", "password2"),
    ]:
        field = page.get_by_label(label, exact=True)
        expect(field).to_have_count(1)
        expect(field).to_have_attribute("name", name)
