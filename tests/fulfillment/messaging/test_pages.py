"""The message pages: the list, the editor (save, preview, test send, reset), the brand page,
the order's message log and the branded tracking page under the strict CSP."""

from __future__ import annotations

import pytest
from django.core import mail

from fulfillment.messaging.services.brand import update_brand
from fulfillment.models import NotificationTemplate, SentMessage
from fulfillment.tracking.notifications import send_notification
from tests.factories.couriers import make_shipment

pytestmark = [pytest.mark.sqlite, pytest.mark.django_db]

EDIT = "/app/messages/shipped/email/es/"


def test_the_list_shows_each_event_and_channel_per_language(client_a):
    page = client_a.get("/app/messages/?language=de")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'href="/app/messages/return_received/sms/de/"' in html and "Deutsch" in html
    assert client_a.get("/app/messages/?language=<x>").status_code == 200  # falls back to en


def test_the_editor_shows_the_default_saves_previews_and_resets(client_a, merchant_a):
    page = client_a.get(EDIT)
    assert page.status_code == 200
    assert "Tu pedido de {{ shop_name }} está en camino" in page.content.decode()
    assert "Tu pedido de Shop A está en camino" in page.content.decode()  # the preview

    preview = client_a.post(
        EDIT + "preview",
        {"subject": "Hola {{ shopper_name }}", "body": "<i>Ya</i> va, {{ courier }}"},
        headers={"HX-Request": "true"},
    )
    html = preview.content.decode()
    assert preview.status_code == 200 and "<html" not in html
    assert "Hola Alex Sample" in html and "&lt;i&gt;Ya&lt;/i&gt; va, Speedy Couriers" in html

    bad = client_a.post(EDIT, {"subject": "Hi", "body": "{{ settings.SECRET_KEY }}"})
    assert bad.status_code == 200 and "Unknown placeholder" in bad.content.decode()
    assert not NotificationTemplate.objects.exists()

    saved = client_a.post(EDIT, {"subject": "¡Ya va!", "body": "Hola {{ shopper_name }}"})
    assert saved.status_code == 302
    template = NotificationTemplate.objects.get(merchant=merchant_a.merchant)
    assert (template.event, template.channel, template.language) == ("shipped", "email", "es")
    assert "your words" in client_a.get("/app/messages/?language=es").content.decode()

    client_a.post(EDIT, {"reset": "1"})
    assert not NotificationTemplate.objects.exists()


def test_send_a_test_to_me_mails_the_signed_in_person(client_a, merchant_a):
    answer = client_a.post(
        EDIT, {"subject": "Prueba {{ order_reference }}", "body": "Hola", "test": "1"}
    )
    assert answer.status_code == 200
    [email] = mail.outbox
    assert email.to == [merchant_a.owner.email] and email.subject == "Prueba #1001"
    log = SentMessage.objects.get()
    assert log.is_test and log.order_id is None and log.recipient == merchant_a.owner.email
    assert not NotificationTemplate.objects.exists()  # a test is not a save


@pytest.mark.parametrize(
    "url",
    [
        "/app/messages/nope/email/en/",
        "/app/messages/shipped/fax/en/",
        "/app/messages/shipped/email/xx/",
    ],
)
def test_an_unknown_message_is_404(client_a, url):
    assert client_a.get(url).status_code == 404
    assert client_a.post(url + "preview", {"body": "x"}).status_code == 404


def test_the_sms_editor_counts_characters_and_has_no_test_send(client_a):
    page = client_a.get("/app/messages/delivered/sms/en/").content.decode()
    assert "Send a test to me" not in page and "characters" in page
    refused = client_a.post("/app/messages/delivered/sms/en/", {"body": "x" * 700})
    assert "Keep it to 640 characters" in refused.content.decode()


def test_the_brand_page_saves_checks_contrast_and_refuses_bad_values(client_a, merchant_a):
    good = {
        "brand_color": "#fef08a", "accent_color": "#1d4ed8", "reply_to_email": "hi@a.example",
        "website_url": "https://a.example", "support_url": "", "support_email": "",
    }  # fmt: skip
    assert client_a.post("/app/messages/brand/", good).status_code == 302
    merchant_a.merchant.refresh_from_db()
    assert merchant_a.merchant.brand_color == "#fef08a"
    page = client_a.get("/app/messages/brand/").content.decode()
    assert "Shop A &lt;hi@a.example&gt;" in page and "#18181b on #fef08a" in page
    bad = client_a.post(
        "/app/messages/brand/",
        {**good, "brand_color": "#zz</s", "website_url": "javascript:alert(1)"},
    )
    html = bad.content.decode()
    assert (
        bad.status_code == 200
        and "Enter a colour as #rrggbb" in html
        and "Enter a valid URL" in html
    )
    merchant_a.merchant.refresh_from_db()
    assert merchant_a.merchant.brand_color == "#fef08a"


def test_the_order_page_lists_the_messages_sent(client_a, merchant_a, merchant_b):
    from fulfillment.models import Notification

    shipment = make_shipment(merchant_a.merchant)
    note = Notification.objects.create(
        merchant=merchant_a.merchant, shipment=shipment, kind="shipped"
    )
    send_notification(notification_id=note.pk)
    url = f"/app/messages/orders/{shipment.order_id}/"
    assert url in client_a.get(f"/app/orders/{shipment.order_id}/").content.decode()
    fragment = client_a.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and "ada@example.com" in fragment and "Shipped" in fragment
    assert "Sent" in fragment
    other = make_shipment(merchant_b.merchant)
    assert client_a.get(f"/app/messages/orders/{other.order_id}/").status_code == 404


def test_the_tracking_page_wears_the_brand_under_the_strict_csp(client, merchant_a):
    update_brand(
        merchant=merchant_a.merchant, brand_color="#fde047", accent_color="#1d4ed8",
        website_url="https://shop-a.example/", support_email="care@shop-a.example",
    )  # fmt: skip
    shipment = make_shipment(merchant_a.merchant)
    page = client.get(f"/t/{shipment.public_token}/")
    html = page.content.decode()
    assert "--brand: #fde047; --brand-text: #18181b; --accent: #1d4ed8" in html
    assert 'href="https://shop-a.example/"' in html and "mailto:care@shop-a.example" in html
    policy = page.headers["Content-Security-Policy"]
    style = next(part for part in policy.split(";") if part.strip().startswith("style-src "))
    assert "'nonce-" in style and "unsafe-inline" not in style
