"""Text messages through the Twilio-style backend against a local fake that speaks Twilio's
documented Messages API; its signed status callback marks the logged message delivered."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from django.http import QueryDict

from fulfillment.messaging.webhooks import twilio_signature
from fulfillment.models import Notification, SentMessage
from fulfillment.tracking.notifications import send_notification, update_settings
from fulfillment.tracking.sms import status_callback_url
from tests.factories.couriers import make_shipment
from tests.fulfillment.messaging.fake_twilio import ACCOUNT, FIXTURES, TOKEN, fake_twilio

pytestmark = [pytest.mark.sqlite, pytest.mark.django_db]


@pytest.fixture
def twilio(settings):
    with fake_twilio() as (url, fake):
        settings.NEARBOX_SMS_BACKEND = "fulfillment.tracking.sms.TwilioSmsBackend"
        settings.NEARBOX_SMS_TWILIO_BASE_URL = url
        settings.NEARBOX_SMS_TWILIO_ACCOUNT_SID = ACCOUNT
        settings.NEARBOX_SMS_TWILIO_AUTH_TOKEN = TOKEN
        settings.NEARBOX_SMS_TWILIO_FROM = "+15557122661"
        yield fake


def text_notification(merchant, phone: str) -> Notification:
    update_settings(merchant=merchant, sms_enabled=True, email_enabled=False)
    shipment = make_shipment(merchant)
    type(shipment.order).objects.filter(pk=shipment.order_id).update(shopper_phone=phone)
    return Notification.objects.create(merchant=merchant, shipment=shipment, kind="delivered")


def test_a_text_goes_through_twilio_and_its_callback_marks_it_delivered(twilio, merchant_a, client):
    note = text_notification(merchant_a.merchant, "+13125550100")
    send_notification(notification_id=note.pk)
    [form] = twilio.requests
    assert form["To"] == "+13125550100" and form["From"] == "+15557122661"
    assert form["Body"].startswith("Shop A: your parcel was delivered.")
    assert form["StatusCallback"] == status_callback_url()
    log = SentMessage.objects.get(notification=note)
    assert log.channel == "sms" and log.state == "sent" and log.provider_id.startswith("SM")

    sample = parse_qs((FIXTURES / "twilio_status_callback.txt").read_text().strip())
    fields = {key: values[0] for key, values in sample.items()}
    fields.update(MessageSid=log.provider_id, SmsSid=log.provider_id)
    query = QueryDict(mutable=True)
    query.update(fields)

    def callback(token: str):
        signature = twilio_signature(status_callback_url(), query, token)
        return client.post(
            "/webhooks/messages/sms-status", fields, headers={"X-Twilio-Signature": signature}
        )

    forged = callback("other-token")
    assert forged.status_code == 403
    log.refresh_from_db()
    assert log.state == "sent"
    signed = callback(TOKEN)
    assert signed.status_code == 204
    log.refresh_from_db()
    assert log.state == "delivered"


def test_a_number_twilio_refuses_is_a_failed_message_with_twilios_reason(twilio, merchant_a):
    note = text_notification(merchant_a.merchant, "555NOTANUMB")
    send_notification(notification_id=note.pk)
    note.refresh_from_db()
    assert note.state == "failed" and "21211" in note.detail
    log = SentMessage.objects.get(notification=note)
    assert log.state == "failed" and "Invalid 'To' Phone Number" in log.detail


def test_twilio_unreachable_or_unconfigured_fails_the_message_with_a_reason(
    twilio, merchant_a, settings
):
    settings.NEARBOX_SMS_TWILIO_AUTH_TOKEN = ""
    note = text_notification(merchant_a.merchant, "+13125550100")
    send_notification(notification_id=note.pk)
    note.refresh_from_db()
    assert note.state == "failed" and "not configured" in note.detail
    settings.NEARBOX_SMS_TWILIO_AUTH_TOKEN = TOKEN
    settings.NEARBOX_SMS_TWILIO_BASE_URL = "http://127.0.0.1:9"
    other = text_notification(merchant_a.merchant, "+13125550101")
    send_notification(notification_id=other.pk)
    other.refresh_from_db()
    assert other.state == "failed" and "could not be reached" in other.detail


def test_a_signed_callback_with_a_nul_in_its_error_code_is_stored_cleaned(
    merchant_a, client, settings
):
    """Only the signature is trusted, not the fields: a NUL (PostgreSQL refuses it) or a very
    long ErrorCode is cleaned, not a 500 that makes Twilio retry for ever."""
    settings.NEARBOX_SMS_TWILIO_AUTH_TOKEN = TOKEN
    log = SentMessage.objects.create(
        merchant=merchant_a.merchant, channel="sms", recipient="+13125550100", event="delivered",
        provider_id="SMnul0001",
    )  # fmt: skip
    fields = {
        "MessageSid": "SMnul0001",
        "MessageStatus": "undelivered",
        "ErrorCode": "300\x0003" + "9" * 500,
    }
    query = QueryDict(mutable=True)
    query.update(fields)
    signature = twilio_signature(status_callback_url(), query, TOKEN)
    answer = client.post(
        "/webhooks/messages/sms-status", fields, headers={"X-Twilio-Signature": signature}
    )
    assert answer.status_code == 204
    log.refresh_from_db()
    assert (
        log.state == "failed"
        and "\x00" not in log.detail
        and log.detail.startswith("Twilio error 30003")
    )
