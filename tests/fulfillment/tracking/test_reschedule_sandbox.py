"""The courier told over real HTTP (the courier sandbox): a redirect sends the locker's address,
a reschedule the new day; a courier without the capability gets "tell the courier"."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from fulfillment.models import DeliveryReschedule, Order, SentMessage
from fulfillment.tracking import reschedule
from lockers.services import redirects
from tests.factories.couriers import make_account, make_service, make_shipment
from tests.factories.lockers import LOOP, make_bank
from tests.factories.orders import make_order
from tests.support.couriers import SANDBOX_KEY, start_sandbox


@pytest.fixture(scope="module")
def slow_sandbox():
    """A sandbox on real time: its parcels stay in transit for the test's length."""
    server = start_sandbox("--speed", "1")
    yield server
    server.stop()


def booked_at_sandbox(merchant, sandbox_url: str):
    account = make_account(
        merchant, courier="sandbox", name="Sandbox", credentials=f"api_key={SANDBOX_KEY}",
        base_url=sandbox_url,
    )  # fmt: skip
    service = make_service(account, code="next-day")
    created = httpx.post(
        f"{sandbox_url}/shipments",
        headers={"DHL-API-Key": SANDBOX_KEY},
        json={
            "service": "next-day", "reference": "R1",
            "sender": {"name": "Shop", "city": "Chicago", "postal_code": "60601", "country": "US"},
            "recipient": {"name": "Ana", "city": "Chicago", "postal_code": "60614",
                          "country": "US"},
            "parcels": [{"weight_g": 500, "length_mm": 300, "width_mm": 200, "height_mm": 100}],
        },
    )  # fmt: skip
    assert created.status_code == 201, created.text
    order = make_order(merchant)
    Order.objects.filter(pk=order.pk).update(latitude=LOOP[0], longitude=LOOP[1])
    shipment = make_shipment(
        merchant, order=order, tracking_number=created.json()["trackingNumber"],
        status="in_transit",
    )  # fmt: skip
    shipment.account, shipment.service = account, service
    shipment.save(update_fields=["account", "service"])
    return shipment


def instructions(sandbox_url: str, number: str) -> dict:
    answer = httpx.get(
        f"{sandbox_url}/shipments/{number}/instructions", headers={"DHL-API-Key": SANDBOX_KEY}
    )
    answer.raise_for_status()
    return answer.json()


@pytest.mark.django_db
def test_the_sandbox_courier_is_told_the_locker_address_and_the_new_day(
    merchant_a, slow_sandbox, django_capture_on_commit_callbacks
):
    merchant = merchant_a.merchant
    bank = make_bank(merchant, name="Loop Locker", postal_code="60601")
    shipment = booked_at_sandbox(merchant, slow_sandbox.url)
    tomorrow = reschedule.local_today(merchant) + dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        moved, _ = reschedule.reschedule(
            shipment=shipment, day=tomorrow, requested_by="staff", max_days=5
        )
        again, created = reschedule.reschedule(
            shipment=shipment, day=tomorrow, requested_by="staff", max_days=5
        )
    assert moved.courier_told == "yes", moved.courier_note
    assert again.pk == moved.pk and not created
    assert DeliveryReschedule.objects.count() == 1
    assert SentMessage.objects.filter(order=shipment.order, event="rescheduled").count() == 1
    shipment.refresh_from_db()
    assert shipment.promised_from.date() == tomorrow

    record, _ = redirects.redirect(
        shipment=shipment, place_ref=bank.pickup_ref, requested_by="staff"
    )
    assert record.courier_told == "yes" and record.courier_note == ""
    told = instructions(slow_sandbox.url, shipment.tracking_number)
    assert told["delivery_date"] == tomorrow.isoformat()
    assert told["redirect"]["name"] == "Loop Locker" and told["redirect"]["postal_code"] == "60601"


@pytest.mark.django_db
def test_a_courier_that_refuses_is_recorded_as_failed_and_the_redirect_stands(
    merchant_a, slow_sandbox
):
    merchant = merchant_a.merchant
    bank = make_bank(merchant)
    shipment = booked_at_sandbox(merchant, slow_sandbox.url)
    shipment.tracking_number = "SBX0000000000"  # unknown to the courier: it answers 404
    shipment.save(update_fields=["tracking_number"])
    record, _ = redirects.redirect(
        shipment=shipment, place_ref=bank.pickup_ref, requested_by="staff"
    )
    assert record.courier_told == "failed" and "refused" in record.courier_note
    assert Order.objects.get(pk=shipment.order_id).pickup_location_ref == bank.pickup_ref


@pytest.mark.django_db
def test_reschedule_refuses_a_day_outside_the_range_and_a_delivered_parcel(merchant_a):
    from django.core.exceptions import ValidationError

    merchant = merchant_a.merchant
    shipment = make_shipment(merchant, status="in_transit")
    today = dt.date(2026, 12, 6)
    for day in (today, today + dt.timedelta(days=6), dt.date(1, 1, 1), dt.date(9999, 12, 31)):
        with pytest.raises(ValidationError, match="Pick a day"):
            reschedule.reschedule(
                shipment=shipment, day=day, requested_by="staff", max_days=5, today=today
            )
    shipment.status = "delivered"
    shipment.save(update_fields=["status"])
    with pytest.raises(ValidationError, match="delivered"):
        reschedule.reschedule(
            shipment=shipment, day=today + dt.timedelta(days=1), requested_by="staff",
            max_days=5, today=today,
        )  # fmt: skip
