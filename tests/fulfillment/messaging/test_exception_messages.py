"""The redirect's and the new day's messages (#20 item 4) are messages like the others: listed
in the editor, previewed, in English, Spanish and German, the merchant's own words used, sent
once per redirect and per new day, naming the place, its hours, the hold days and when the
pickup code comes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from fulfillment.messaging.services.templates import save_template
from fulfillment.models import Order, SentMessage
from fulfillment.tracking import reschedule
from lockers.services import redirects
from tests.factories.couriers import make_shipment
from tests.factories.lockers import LOOP, make_bank
from tests.factories.orders import make_order

pytestmark = [pytest.mark.sqlite, pytest.mark.django_db]

TODAY = dt.date(2026, 12, 7)


def failed_parcel(merchant, **order_fields):
    order = make_order(merchant, latitude=LOOP[0], longitude=LOOP[1], **order_fields)
    Order.objects.filter(pk=order.pk).update(latitude=LOOP[0], longitude=LOOP[1])
    order.refresh_from_db()
    return make_shipment(merchant, order=order, status="failed_attempt")


@pytest.mark.parametrize("event", ["redirected", "rescheduled"])
def test_the_editor_lists_and_previews_both_events_in_three_languages(client_a, event):
    listing = client_a.get("/app/messages/?language=es").content.decode()
    assert f'href="/app/messages/{event}/email/es/"' in listing
    assert f'href="/app/messages/{event}/sms/es/"' in listing
    for language, word in (("en", "Hello"), ("es", "Hola,"), ("de", "Hallo")):
        page = client_a.get(f"/app/messages/{event}/email/{language}/")
        assert page.status_code == 200
        assert word + " Alex Sample" in page.content.decode()  # the preview, filled in
        assert client_a.get(f"/app/messages/{event}/sms/{language}/").status_code == 200
    preview = client_a.get("/app/messages/redirected/email/en/").content.decode()
    if event == "redirected":
        assert "Corner Shop, 12 Main Street" in preview and "Mon–Sat 08:00–20:00" in preview
        assert "pickup code comes in a separate message" in preview


def test_a_redirect_sends_one_message_naming_the_place_hours_hold_days_and_the_code(
    merchant_a, django_capture_on_commit_callbacks
):
    merchant = merchant_a.merchant
    bank = make_bank(merchant, name="Loop Locker")
    shipment = failed_parcel(merchant)
    for _ in range(2):  # a double submit
        with django_capture_on_commit_callbacks(execute=True):
            redirects.redirect(shipment=shipment, place_ref=bank.pickup_ref, requested_by="staff")
    sent = SentMessage.objects.filter(order_id=shipment.order_id, event="redirected")
    assert sent.count() == 1 and sent[0].channel == "email"
    text = mail.outbox[-1].body
    assert "Loop Locker" in text and bank.address_line in text
    assert "Opening hours:" in text
    assert "held there for 7 days" in text.lower()
    assert "pickup code comes in a separate message" in text
    assert mail.outbox[-1].subject == "Your Shop A parcel now goes to a pickup point"


def test_the_merchants_own_words_and_the_shoppers_language_are_used(
    merchant_a, django_capture_on_commit_callbacks
):
    merchant = merchant_a.merchant
    bank = make_bank(merchant, name="Loop Locker")
    save_template(
        merchant=merchant, event="redirected", channel="email", language="en",
        subject="Off to {{ pickup_point }}", body="Open {{ opening_hours }}, {{ hold_days }} days",
    )  # fmt: skip
    shipment = failed_parcel(merchant)
    with django_capture_on_commit_callbacks(execute=True):
        redirects.redirect(shipment=shipment, place_ref=bank.pickup_ref, requested_by="staff")
    assert mail.outbox[-1].subject.startswith("Off to Loop Locker, ")
    assert ", 7 days" in mail.outbox[-1].body

    german = failed_parcel(merchant)
    Order.objects.filter(pk=german.order_id).update(language="de-AT")
    with django_capture_on_commit_callbacks(execute=True):
        reschedule.reschedule(
            shipment=german, day=TODAY + dt.timedelta(days=2), requested_by="staff",
            max_days=5, today=TODAY,
        )  # fmt: skip
    assert mail.outbox[-1].subject == "Ihr Paket von Shop A kommt am Mittwoch 9 Dezember"


def test_each_new_day_sends_one_message_and_the_same_day_again_none(
    merchant_a, django_capture_on_commit_callbacks
):
    shipment = failed_parcel(merchant_a.merchant)
    days = [TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(3)]
    for day in days:
        with django_capture_on_commit_callbacks(execute=True):
            reschedule.reschedule(
                shipment=shipment, day=day, requested_by="shopper", max_days=5, today=TODAY
            )
    sent = SentMessage.objects.filter(order_id=shipment.order_id, event="rescheduled")
    assert sent.count() == 2
    assert [m.subject for m in mail.outbox[-2:]] == [
        "Your Shop A parcel comes on Tuesday 8 December",
        "Your Shop A parcel comes on Thursday 10 December",
    ]
