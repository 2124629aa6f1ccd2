"""In Chromium at 390x844: signing out of the driver app leaves nothing of the driver on a
shared phone: the service worker's copies of the route and stop pages and the offline queue
are gone (asked first when an action is still unsent), and the next person sees no route."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from fulfillment.fleet.auth.links import create_sign_in_link
from tests.fulfillment.fleet.driver.factories import make_route
from tests.fulfillment.fleet.driver.test_driver_app_browser import phone  # noqa: F401 (fixture)
from tests.support.helpers import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CACHED_PAGES = """async () => {
  let n = 0;
  for (const key of await caches.keys()) n += (await (await caches.open(key)).keys()).length;
  return n;
}"""
DATABASES = "async () => (await indexedDB.databases()).map(d => d.name)"


def test_sign_out_clears_the_phone_for_the_next_driver(live_server, phone, merchant_a):  # noqa: F811
    route = make_route(merchant_a.merchant, stops=1)
    _, token = create_sign_in_link(driver=route.driver)
    phone.goto(live_server.url + reverse("fleet_driver_sign_in", args=[token]))
    phone.get_by_role("button", name="Sign in as Sam").click()
    expect(phone.locator("#route")).to_be_visible()
    # The service worker keeps the pages for no signal; an action waits in the queue offline.
    wait_for(lambda: phone.evaluate("navigator.serviceWorker.controller !== null")
             or phone.reload() or False, what="service worker in control")  # fmt: skip
    phone.reload()
    wait_for(lambda: phone.evaluate(CACHED_PAGES) > 0, what="a page kept by the worker")
    phone.context.set_offline(True)
    phone.get_by_label("Parcel number").fill("NOT-SENT-1")
    phone.get_by_role("button", name="Load", exact=True).click()
    expect(phone.locator("#sync-status")).to_contain_text("saved on the phone")
    phone.route("**/driver/actions", lambda r: r.abort())  # back online, the action unsent
    phone.context.set_offline(False)
    asked: list[str] = []

    def answer(dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    phone.on("dialog", answer)
    phone.get_by_role("button", name="Sign out").click()
    expect(phone.get_by_role("heading", name="You are not signed in")).to_be_visible()
    assert asked and "not sent yet" in asked[0]
    wait_for(lambda: phone.evaluate(CACHED_PAGES) == 0, what="the kept pages gone")
    assert "nearbox-driver" not in phone.evaluate(DATABASES)
    phone.goto(live_server.url + reverse("driver_route", args=[route.pk]))
    assert route.hub.name not in phone.content()
    assert phone.violations == []
