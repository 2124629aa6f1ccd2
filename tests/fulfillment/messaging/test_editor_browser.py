"""In Chromium: the merchant edits a message and the preview follows as they type (htmx, no
page load, no CSP violation); saving keeps the words; a test send reaches their inbox."""

from __future__ import annotations

import pytest
from django.core import mail
from playwright.sync_api import expect

from fulfillment.models import NotificationTemplate
from tests.support.helpers import screenshot, sign_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_editing_a_message_updates_the_preview_and_saves(live_server, page, merchant_a):
    violations: list[str] = []
    page.on(
        "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
    )
    sign_in_browser(page, live_server, merchant_a.owner)
    page.goto(f"{live_server.url}/app/messages/")
    page.get_by_role("link", name="Español").click()
    row = page.get_by_role("row", name="Ready for pickup")
    row.get_by_role("link", name="Edit").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Ready for pickup: email in Español"
    )
    expect(page.locator("#preview-subject")).to_have_text(
        "Tu paquete de Shop A está listo para recoger"
    )
    expect(page.locator("#preview-email")).to_contain_text("482913")  # the sample pickup code

    page.get_by_label("Subject").fill("{{ shopper_name }}, ¡tu pedido te espera!")
    body = page.get_by_label("Body")
    body.fill("Recógelo en {{ pickup_point }}.\n\n<b>Gracias</b>")
    expect(page.locator("#preview-subject")).to_have_text("Alex Sample, ¡tu pedido te espera!")
    expect(page.locator("#preview-email")).to_contain_text(
        "Recógelo en Corner Shop, 12 Main Street."
    )
    expect(page.locator("#preview-email")).to_contain_text("<b>Gracias</b>")  # shown, not bold
    assert page.url.endswith("/app/messages/available_for_pickup/email/es/")  # no page load
    screenshot(page, "messages-editor-preview")

    page.get_by_role("button", name="Send a test to me").click()
    expect(page.get_by_text(f"Test email sent to {merchant_a.owner.email}")).to_be_visible()
    assert mail.outbox[-1].subject == "Alex Sample, ¡tu pedido te espera!"

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Message saved.")).to_be_visible()
    saved = NotificationTemplate.objects.get(merchant=merchant_a.merchant)
    assert saved.subject == "{{ shopper_name }}, ¡tu pedido te espera!"
    expect(page.get_by_label("Body")).to_have_value(saved.body)
    assert violations == []
