"""One time zone (issue 14, item 5): every time a person reads is in the merchant's zone (here
America/Chicago, CST in January), with the zone named where it could be misread: dashboard
pages and their htmx fragments, the public tracking page, emails sent outside a request, and
the dates printed on labels and packing slips."""

from __future__ import annotations

import datetime as dt
import io
import re
from types import SimpleNamespace

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from fulfillment.couriers.adapters import TrackingEvent, TrackingStatus
from fulfillment.labels.services.labels import label_data_for
from fulfillment.labels.services.packing_slips import packing_slip_data
from fulfillment.models import Notification
from fulfillment.shipments.services.booking import record_event
from fulfillment.tracking.notifications import send_notification
from lockers.models import PickupParcel
from lockers.notifications import send_expiry_reminder
from lockers.services.network import staff_link_token
from tests.factories.couriers import make_shipment
from tests.factories.lockers import make_shop
from tests.factories.orders import make_order

pytestmark = pytest.mark.django_db

# 20:00 and 22:00 UTC on Thursday 15 January 2026 are 14:00 and 16:00 in Chicago (CST, UTC-6).
ETA_FROM = dt.datetime(2026, 1, 15, 20, 0, tzinfo=dt.UTC)
ETA_UNTIL = dt.datetime(2026, 1, 15, 22, 0, tzinfo=dt.UTC)


@pytest.fixture
def chicago(merchant_a):
    merchant = merchant_a.merchant
    merchant.time_zone = "America/Chicago"
    merchant.save()
    return merchant


@pytest.fixture
def shipment(chicago):
    return make_shipment(chicago, eta_from=ETA_FROM, eta_until=ETA_UNTIL, status="in_transit")


def test_the_shipment_list_and_its_htmx_fragment_show_the_eta_in_the_merchants_zone(
    shipment, client_a
):
    for headers in ({}, {"HX-Request": "true"}):
        page = client_a.get("/app/shipments/", headers=headers).content.decode()
        assert "Thu 15 Jan 14:00 – 16:00" in page
        assert "20:00" not in page


def test_the_shipment_page_shows_courier_events_in_the_merchants_zone(shipment, client_a):
    record_event(
        shipment=shipment,
        event=TrackingEvent(
            shipment.tracking_number, TrackingStatus.IN_TRANSIT, ETA_FROM, "IT", "Sorted",
            event_id="tz-1",
        ),
    )  # fmt: skip
    page = client_a.get(f"/app/couriers/shipments/{shipment.pk}/").content.decode()
    assert "2026-01-15 14:00" in page and "2026-01-15 20:00" not in page


def test_the_public_tracking_page_names_the_zone_and_leaves_none_active_after(shipment):
    page = Client().get(f"/t/{shipment.public_token}/").content.decode()
    assert "14:00 – 16:00 CST" in page
    assert "UTC" not in page
    assert timezone.get_current_timezone_name() == "UTC"  # not leaked into the next request


def test_a_signed_in_request_does_not_leave_the_merchants_zone_active(shipment, client_a):
    client_a.get("/app/shipments/")
    assert timezone.get_current_timezone_name() == "UTC"


def test_the_tracking_email_sent_outside_a_request_shows_the_eta_in_the_merchants_zone(
    shipment,
):
    note = Notification.objects.create(merchant=shipment.merchant, shipment=shipment,
                                       kind="out_for_delivery")  # fmt: skip
    assert timezone.get_current_timezone_name() == "UTC"  # as in a Celery worker

    send_notification(notification_id=note.pk)

    [email] = mail.outbox
    assert "Thursday 15 January, 14:00 – 16:00 CST" in email.body
    assert "14:00 – 16:00 CST" in email.alternatives[0][0]
    assert "UTC" not in email.body and "20:00" not in email.body


def test_the_pickup_reminder_gives_the_deadline_in_the_places_zone_and_names_it(shipment):
    parcel = SimpleNamespace(
        order=shipment.order,
        tracking_number="NBXPICK1",
        bank=SimpleNamespace(name="Loop Locker", address="1 W Madison St, Chicago"),
        shop=None,
        collect_by=ETA_UNTIL,
    )
    send_expiry_reminder(parcel)
    [email] = mail.outbox
    assert "Collect it by Jan. 15, 2026, 4 p.m. CST with the code" in email.body
    assert "UTC" not in email.body


def test_the_label_is_dated_by_the_merchants_day(shipment):
    shipment.booked_at = dt.datetime(2026, 1, 16, 3, 0, tzinfo=dt.UTC)  # 21:00 on the 15th
    shipment.save()
    label = label_data_for(shipment)
    assert label.date.date() == dt.date(2026, 1, 15)


def test_the_packing_slip_is_dated_in_the_merchants_zone(shipment):
    slip = packing_slip_data(shipment.order)
    assert str(slip.date.tzinfo) == "America/Chicago"


def test_the_shop_counter_and_the_pickup_code_mail_use_the_places_zone(
    chicago, django_capture_on_commit_callbacks
):
    shop = make_shop(chicago)
    order = make_order(chicago, reference="TZ-COUNTER-1")
    order.pickup_location_ref, order.delivery_kind = shop.pickup_ref, "pickup_shop"
    order.save(update_fields=["pickup_location_ref", "delivery_kind"])
    url = reverse("pickup_counter", args=[staff_link_token(shop)])
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(url, {"action": "receive", "receive-tracking_number": order.reference})
    [email] = mail.outbox
    assert "Collect it by" in email.body and ("CST" in email.body or "CDT" in email.body)
    assert "UTC" not in email.body

    PickupParcel.objects.filter(order=order).update(collect_by=ETA_UNTIL)
    page = Client().get(url).content.decode()
    assert "Jan 15, 16:00 CST" in page and "22:00" not in page


def test_the_pick_list_pdf_names_the_merchants_zone_with_its_print_time(chicago, client_a):
    order = make_order(chicago, reference="TZ-PICK-1")
    point = order.allocations.get().point

    pdf = client_a.get(f"/app/orders/today/{point.pk}/pick-list.pdf")

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert re.search(r"printed \w{3} \d+, \d{4} \d\d:\d\d C[SD]T", text), text[:300]
    assert "UTC" not in text
