"""In Chromium at 390x844 (a phone, one thumb): a driver signs in by link, loads the parcels by
typing their numbers, starts the route (the phone sends its position), delivers one with a
photo and a signature, fails one with a reason, and leaves one in a safe place while offline:
it is kept on the phone and synced once when back online. The shopper's tracking page shows
"N stops away" and the driver on the map."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from fulfillment.fleet.auth.links import create_sign_in_link
from fulfillment.models import DriverAction, Route, RouteStop
from tests.fulfillment.fleet.driver.factories import codes, make_route
from tests.support.helpers import screenshot, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HUB = {"latitude": 41.8837, "longitude": -87.6289}


def png() -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 80, 20)).save(buffer, format="PNG")
    return {"name": "door.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


@pytest.fixture
def phone(chromium_browser):
    context = chromium_browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
        geolocation=HUB, permissions=["geolocation"],
    )  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.violations = violations
    yield page
    context.close()


def stop_state(stop: RouteStop) -> str:
    stop.refresh_from_db()
    return stop.state


def test_driver_delivers_fails_and_syncs_an_offline_stop_once(live_server, phone, merchant_a):
    route = make_route(merchant_a.merchant, stops=3)
    one, two, three = route.stops.select_related("shipment").order_by("sequence")
    _, token = create_sign_in_link(driver=route.driver)

    phone.goto(live_server.url + reverse("fleet_driver_sign_in", args=[token]))
    phone.get_by_role("button", name="Sign in as Sam").click()
    expect(phone.locator("#route")).to_be_visible()
    expect(phone.get_by_role("heading", name="Load the parcels: 0 of 3")).to_be_visible()

    for n, code in enumerate(codes(route), start=1):
        phone.get_by_label("Parcel number").fill(code)
        phone.get_by_role("button", name="Load", exact=True).click()
        expect(phone.locator("#loaded-count")).to_have_text(str(n))
    screenshot(phone, "driver-loaded")
    phone.get_by_role("button", name="Start route").click()
    expect(phone.locator("#route-state")).to_have_text("On the road")
    # The phone sends its position once the route runs: the ETAs follow.
    wait_for(lambda: Route.objects.get(pk=route.pk).position_at, what="first position")
    one.refresh_from_db()
    assert one.eta is not None

    # The shopper of the third stop: 2 stops away, and the driver on the map.
    shopper = phone.context.new_page()
    shopper.goto(live_server.url + reverse("tracking_page", args=[three.shipment.public_token]))
    expect(shopper.locator("#stops-away")).to_contain_text("2 stops away, about")
    expect(shopper.locator("#courier-map")).to_have_attribute("data-ready", "true")
    assert float(
        shopper.locator("#courier-map").get_attribute("data-courier-lat")
    ) == pytest.approx(HUB["latitude"])
    screenshot(shopper, "driver-tracking-stops-away")
    shopper.close()

    # Stop 1: delivered with a photo, a signature and a name.
    phone.get_by_role("link", name="At the door").click()
    phone.get_by_label("Photo", exact=True).set_input_files(png())
    pad = phone.locator("#signature-pad").bounding_box()
    phone.mouse.move(pad["x"] + 20, pad["y"] + 40)
    phone.mouse.down()
    phone.mouse.move(pad["x"] + 120, pad["y"] + 90, steps=8)
    phone.mouse.move(pad["x"] + 220, pad["y"] + 50, steps=8)
    phone.mouse.up()
    phone.get_by_label("Name of who took it").fill("Ada")
    phone.get_by_role("button", name="Delivered", exact=True).click()
    expect(phone.locator("#route")).to_be_visible()
    wait_for(lambda: stop_state(one) == "delivered", what="stop 1 delivered")
    assert one.photo and one.signature and one.recipient_name == "Ada"

    # Stop 2: failed, nobody at home, next wave.
    phone.get_by_role("link", name="At the door").click()
    phone.locator("#failed-panel summary").click()
    phone.get_by_label("Why").select_option("not_home")
    phone.get_by_label("What happens next").select_option("next_wave")
    phone.get_by_role("button", name="Could not deliver").click()
    expect(phone.locator("#route")).to_be_visible()
    wait_for(lambda: stop_state(two) == "failed", what="stop 2 failed")

    # Stop 3 without signal: kept on the phone, sent once when back.
    phone.get_by_role("link", name="At the door").click()
    expect(phone.locator("#stop")).to_be_visible()
    phone.context.set_offline(True)
    phone.locator("#safe-panel summary").click()
    phone.get_by_label("Photo of the place").set_input_files(png())
    phone.get_by_role("button", name="Left in a safe place").click()
    expect(phone.locator("#sync-status")).to_contain_text("saved on the phone")
    assert stop_state(three) == "pending"
    assert not DriverAction.objects.filter(stop=three).exists()
    phone.context.set_offline(False)
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    wait_for(lambda: stop_state(three) == "safe_place", what="offline stop synced")
    expect(phone.locator("#route-finished")).to_be_visible()
    assert DriverAction.objects.filter(stop=three).count() == 1
    assert (
        DriverAction.objects.filter(driver=route.driver).count() == 3 + 1 + 3
    )  # loads, start, stops
    assert Route.objects.get(pk=route.pk).state == Route.State.FINISHED
    screenshot(phone, "driver-route-finished")
    assert not phone.violations, phone.violations
