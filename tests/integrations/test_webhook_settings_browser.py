"""Settings → Integrations in Chromium: the owner adds an endpoint by keyboard-usable form,
copies the secret shown once, sends a test event (htmx) and sees the receiver's answer."""

import pytest

from integrations.models import WebhookEndpoint
from tests.support.helpers import screenshot, sign_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_adds_an_endpoint_and_sends_a_test_event(live_server, page, merchant_a, receiver):
    sign_in_browser(page, live_server, merchant_a.owner)
    page.goto(f"{live_server.url}/app/settings/")
    page.get_by_role("link", name="Integrations").click()
    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("Description").fill("<b>ERP</b>")
    page.get_by_label("shipment.booked", exact=False).check()
    page.get_by_role("button", name="Add endpoint").click()

    secret = page.locator("#webhook-secret").inner_text()
    endpoint = WebhookEndpoint.objects.get()
    assert secret.startswith("whsec_") and secret.endswith(endpoint.secret_hint)
    page.get_by_role("button", name="Send a test event").click()
    page.get_by_text("Test event delivered: HTTP 204").wait_for()
    assert receiver.accepted[0].headers["Nearbox-Event-Type"] == "ping"
    log = page.get_by_role("table", name="Delivery log")
    assert log.get_by_text("HTTP 204").count() == 1  # the log refreshed with the answer
    screenshot(page, "integrations-endpoint")
    page.reload()
    assert page.locator("#webhook-secret").count() == 0  # shown once
    assert page.get_by_role("table", name="Delivery log").get_by_text("ping").count() == 1
    page.goto(f"{live_server.url}/app/settings/integrations/")
    assert page.get_by_text("<b>ERP</b>").count() == 1  # markup shown as text
