"""What the manual courier's driver reports goes through the same ingest path as polled and
pushed events: the shopper is notified, the ETA and the exceptions queue follow."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from fulfillment.models import Notification, ShipmentEvent
from fulfillment.shipments.services.booking import FAILED_REASONS, record_driver_status
from fulfillment.tracking.selectors import shipment_exceptions
from tests.factories.couriers import make_shipment


def photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (20, 120, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile("doorstep.png", buffer.getvalue(), content_type="image/png")


@pytest.mark.django_db
def test_driver_reports_move_the_shipment_and_notify_the_shopper(merchant_a):
    merchant = merchant_a.merchant
    shipment = make_shipment(merchant)
    account = shipment.account
    start = timezone.now() - dt.timedelta(hours=3)

    record_driver_status(account=account, shipment_id=shipment.pk, action="picked_up", now=start)
    record_driver_status(
        account=account, shipment_id=shipment.pk, action="out_for_delivery",
        now=start + dt.timedelta(hours=1),
    )  # fmt: skip

    shipment.refresh_from_db()
    assert shipment.status == "out_for_delivery"
    assert shipment.handed_over_at == start
    kinds = set(Notification.objects.filter(shipment=shipment).values_list("kind", flat=True))
    assert kinds == {"shipped", "out_for_delivery"}
    assert ShipmentEvent.objects.filter(shipment=shipment, source="driver").count() == 2


@pytest.mark.django_db
def test_a_failed_attempt_from_the_driver_lands_in_the_exceptions_queue(merchant_a):
    shipment = make_shipment(merchant_a.merchant)
    account = shipment.account
    now = timezone.now()
    record_driver_status(account=account, shipment_id=shipment.pk, action="picked_up",
                         now=now - dt.timedelta(hours=2))  # fmt: skip
    reason = next(iter(FAILED_REASONS))
    record_driver_status(account=account, shipment_id=shipment.pk, action="failed",
                         reason=reason, now=now - dt.timedelta(hours=1))  # fmt: skip

    shipment.refresh_from_db()
    assert shipment.status == "failed_attempt"
    assert list(shipment_exceptions(merchant_a.merchant)) == [shipment]
    note = Notification.objects.get(shipment=shipment, kind="failed_attempt")
    assert note.state == "pending"


@pytest.mark.django_db
def test_delivery_with_a_photo_stores_the_proof_once_and_notifies_delivered(merchant_a):
    shipment = make_shipment(merchant_a.merchant)
    account = shipment.account
    now = timezone.now()

    delivered = record_driver_status(
        account=account, shipment_id=shipment.pk, action="delivered", photo=photo(), now=now
    )

    assert delivered.status == "delivered" and delivered.delivered_at == now
    event = ShipmentEvent.objects.get(shipment=shipment, status="delivered")
    assert event.source == "driver"
    assert event.proof.read().startswith(b"\x89PNG")
    assert Notification.objects.filter(shipment=shipment, kind="delivered").count() == 1
    assert delivered.next_poll_at is None  # final: never polled again
