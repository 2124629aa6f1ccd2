"""Shopper messages in the shop's brand and the shopper's language, each sent once and logged;
merchant templates that cannot reach anything secret; the providers' delivery reports."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from fulfillment.messaging.services import brand, rendering
from fulfillment.messaging.services.templates import save_template
from fulfillment.models import Notification, SentMessage
from fulfillment.tracking.notifications import send_notification
from tests.factories.couriers import make_shipment

pytestmark = [pytest.mark.sqlite, pytest.mark.django_db]

TOKEN = "events-token-7f3a"


def shipped(merchant, **order_fields):
    shipment = make_shipment(merchant)
    if order_fields:
        type(shipment.order).objects.filter(pk=shipment.order_id).update(**order_fields)
    return Notification.objects.create(merchant=merchant, shipment=shipment, kind="shipped")


def branded(merchant, **fields):
    values = dict(
        brand_color="#fde047", accent_color="#1d4ed8", reply_to_email="help@shop-a.example",
        website_url="https://shop-a.example/", support_url="https://shop-a.example/help",
        support_email="care@shop-a.example",
    )  # fmt: skip
    values.update(fields)
    return brand.update_brand(merchant=merchant, **values)


def test_an_email_comes_from_the_shop_in_its_colours_with_its_links(merchant_a):
    merchant = branded(merchant_a.merchant)
    note = shipped(merchant)
    send_notification(notification_id=note.pk)
    [email] = mail.outbox
    assert email.from_email == "Shop A <help@shop-a.example>" and "Nearbox" not in email.from_email
    assert email.reply_to == ["help@shop-a.example"]
    assert email.subject == "Your order from Shop A is on its way"
    html = email.alternatives[0][0]
    # A light yellow header gets dark text; the button is the accent colour with white text.
    assert "background:#fde047" in html and "color:#18181b;font-size:20px" in html
    assert "background:#1d4ed8;color:#ffffff" in html
    assert 'href="https://shop-a.example/help"' in html and "care@shop-a.example" in html
    assert "https://shop-a.example/" in email.body


def test_the_server_sending_address_is_used_with_the_shops_name(merchant_a, settings):
    settings.DEFAULT_FROM_EMAIL = "Nearbox <messages@nearbox.example>"
    merchant = branded(merchant_a.merchant)
    merchant.name = 'Ada\'s, "Best" Shop\n'  # characters that need quoting, a line break
    assert brand.sender(merchant) == '"Ada\'s, \\"Best\\" Shop" <messages@nearbox.example>'


def test_the_email_is_in_the_shoppers_language_from_the_order(merchant_a):
    note = shipped(merchant_a.merchant, language="es-MX")
    send_notification(notification_id=note.pk)
    [email] = mail.outbox
    assert email.subject == "Tu pedido de Shop A está en camino"
    assert email.body.startswith("Hola, Ada Shopper:") and "Sigue tu paquete" in email.body
    assert '<html lang="es">' in email.alternatives[0][0]
    german = shipped(merchant_a.merchant, language="de")
    send_notification(notification_id=german.pk)
    assert mail.outbox[1].subject == "Deine Bestellung von Shop A ist unterwegs"
    unknown = shipped(merchant_a.merchant, language="xx")
    send_notification(notification_id=unknown.pk)
    assert mail.outbox[2].subject == "Your order from Shop A is on its way"


def test_the_merchants_words_are_sent_once_and_logged(merchant_a):
    merchant = merchant_a.merchant
    save_template(
        merchant=merchant, event="shipped", channel="email", language="es",
        subject="¡{{ shopper_name }}, ya va!", body="Pedido {{ order_reference }} con {{courier}}.",
    )  # fmt: skip
    note = shipped(merchant, language="es")
    send_notification(notification_id=note.pk)
    assert send_notification(notification_id=note.pk) is None  # a redelivered task
    [email] = mail.outbox
    assert email.subject == "¡Ada Shopper, ya va!"
    assert email.body.startswith(f"Pedido {note.shipment.order.reference} con ")
    [log] = SentMessage.objects.filter(order=note.shipment.order)
    assert (log.channel, log.state, log.recipient, log.event) == (
        "email", "sent", "ada@example.com", "shipped"
    )  # fmt: skip
    assert f"<{log.provider_id}>" == email.extra_headers["Message-ID"]
    assert log.language == "es" and log.notification_id == note.pk


def test_hostile_template_text_reads_nothing_secret(merchant_a, settings):
    merchant = merchant_a.merchant
    refused_names = ("{{ settings.SECRET_KEY }}", "{{ merchant.shopify_token }}", "{{ x }")
    for body in (*refused_names, "{{ shopper_name|safe }}"):
        if body.endswith("}}"):
            with pytest.raises(ValidationError) as refused:
                save_template(
                    merchant=merchant, event="shipped", channel="email", language="en",
                    subject="Hi", body=body,
                )  # fmt: skip
            assert "Unknown placeholder" in str(refused.value)
    with pytest.raises(ValidationError):
        save_template(
            merchant=merchant, event="shipped", channel="email", language="en",
            subject="Hi", body="a\x00b",
        )  # fmt: skip
    hostile = (
        "{% load static %}{% debug %} <script>alert(1)</script> "
        "{% include 'base.html' %} {{ shopper_name }}"
    )
    save_template(
        merchant=merchant, event="shipped", channel="email", language="en",
        subject="{{ shop_name }} {% now 'Y' %}", body=hostile,
    )  # fmt: skip
    note = shipped(merchant, shopper_name="<b>Eve</b>")
    send_notification(notification_id=note.pk)
    [email] = mail.outbox
    html = email.alternatives[0][0]
    assert settings.SECRET_KEY not in html and settings.SECRET_KEY not in email.body
    assert merchant.shopify_token not in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<b>Eve</b>" not in html and "&lt;b&gt;Eve&lt;/b&gt;" in html
    assert "{% load static %}" in email.body  # shown as typed: no template engine ran it
    assert email.subject == "Shop A {% now 'Y' %}"
    # An unknown name renders as nothing even if it got stored some other way.
    assert rendering.fill("{{ settings.SECRET_KEY }}!", {"settings.SECRET_KEY": "x"}) == "!"


def test_text_colour_is_the_readable_one():
    assert brand.text_colour_on("#0f766e") == "#ffffff"
    assert brand.text_colour_on("#fde047") == "#18181b"
    assert brand.text_colour_on("not a colour") == "#ffffff"  # the default brand colour
    assert round(brand.contrast_ratio("#000000", "#ffffff"), 1) == 21.0


def _report(client, body, token=TOKEN):
    return client.post(
        "/webhooks/messages/email-events", data=body, content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip


def test_delivery_reports_move_the_log_forward_only(client, merchant_a, settings):
    settings.NEARBOX_EMAIL_EVENTS_TOKEN = TOKEN
    note = shipped(merchant_a.merchant)
    send_notification(notification_id=note.pk)
    log = SentMessage.objects.get(notification=note)
    mid = mail.outbox[0].extra_headers["Message-ID"]

    def report(event: str, **extra) -> dict:
        answer = _report(
            client, json.dumps({"events": [{"message_id": mid, "event": event, **extra}]})
        )
        assert answer.status_code == 200
        return answer.json()

    assert report("delivered") == {"updated": 1, "ignored": 0}
    log.refresh_from_db()
    assert log.state == "delivered"
    report("bounced", reason="550 5.1.1 mailbox unknown")
    report("delivered")  # late and out of order: the bounce stands
    report("opened")  # not a delivery state: ignored
    log.refresh_from_db()
    assert (log.state, log.detail) == ("bounced", "550 5.1.1 mailbox unknown")
    one = _report(client, json.dumps({"message_id": "<nobody@else>", "event": "bounced"}))
    assert one.json() == {"updated": 0, "ignored": 1}


@pytest.mark.parametrize(
    "body, status",
    [
        ("not json", 400),
        ("[" * 100_000 + "]" * 100_000, 400),
        (json.dumps({"events": [{"message_id": 5, "event": "delivered"}]}), 400),
        (json.dumps({"events": "x"}), 400),
        (json.dumps({"events": [{"message_id": "a\x00b\ud800", "event": "bounced"}]}), 200),
        (b"\xff\xfe", 400),
    ],
)
def test_a_malformed_delivery_report_is_a_clear_4xx(client, settings, body, status):
    settings.NEARBOX_EMAIL_EVENTS_TOKEN = TOKEN
    answer = _report(client, body)
    assert answer.status_code == status
    if status == 400:
        assert answer.json()["code"] == "malformed"


def test_the_delivery_report_endpoint_needs_its_token(client, settings):
    body = json.dumps({"message_id": "x", "event": "bounced"})
    settings.NEARBOX_EMAIL_EVENTS_TOKEN = ""
    assert _report(client, body).status_code == 404
    settings.NEARBOX_EMAIL_EVENTS_TOKEN = TOKEN
    assert _report(client, body, token="wrong").status_code == 401
    assert _report(client, body, token="wröng").status_code == 401
    no_header = client.post("/webhooks/messages/email-events", body, "application/json")
    assert no_header.status_code == 401


def test_the_order_api_takes_the_shoppers_language(api_client_a, merchant_a):
    from fulfillment.models import Order
    from tests.factories.merchant import make_point, make_product
    from tests.factories.orders import order_data, stock

    merchant = merchant_a.merchant
    stock(merchant, make_point(merchant, postal_code="60614"), make_product(merchant, sku="M"), 5)

    def post(language):
        body = order_data(("M", 1), shopper={"language": language})
        return api_client_a.post("/api/v1/orders", json.dumps(body), "application/json")

    assert post("es-MX").status_code == 201
    assert Order.objects.get(merchant=merchant).language == "es-MX"
    refused = post("x" * 9)
    assert refused.status_code == 422 and "shopper.language" in refused.content.decode()
    assert Order.objects.filter(merchant=merchant).count() == 1
