"""Tracking test helpers: a sandbox courier account, shipments, events and results, and
parcels booked at a real sandbox."""

from __future__ import annotations

import datetime as dt
import itertools

import httpx
from django.utils import timezone

from fulfillment.couriers.adapters import TrackingEvent, TrackingStatus, make_event_id
from fulfillment.couriers.adapters.types import TrackingResult
from fulfillment.models import CourierAccount, Shipment
from fulfillment.orders.services.orders import advance_order
from tests.factories.couriers import make_account, make_service
from tests.factories.orders import make_order
from tests.support.couriers import ADDRESS_FROM, ADDRESS_TO, SANDBOX_KEY

_seq = itertools.count(1)
WEBHOOK_SECRET = "whsec-test-5c1e"


def sandbox_account(merchant, url: str = "http://127.0.0.1:9", *, rps: float = 50.0):
    account = make_account(
        merchant, courier="sandbox", name=f"Sandbox {next(_seq)}",
        credentials=f"api_key={SANDBOX_KEY}\nwebhook_secret={WEBHOOK_SECRET}",
        base_url=url, requests_per_second=rps,
    )  # fmt: skip
    service = make_service(account, level="next_day", code="next-day", name="Next day")
    return account, service


def add_shipment(account: CourierAccount, service, *, number: str = "", order=None, **fields):
    """A booked shipment; of a new order picked for it (booking needs a picked order)."""
    if order is None:
        order = advance_order(order=make_order(account.merchant), to_status="picked", user=None)
    values = dict(
        merchant=account.merchant, order=order, account=account, service=service,
        tracking_number=number or f"SBXT{next(_seq):07d}",
        idempotency_key=f"test-{next(_seq)}-{timezone.now().timestamp()}",
        price_minor=500, currency="USD", status="info_received",
        booked_at=timezone.now(),
    )  # fmt: skip
    values.update(fields)
    return Shipment.objects.create(**values)


def book_at_sandbox(url: str, count: int) -> list[str]:
    """Create `count` parcels at the sandbox (its own clock starts their journeys)."""
    numbers = []
    with httpx.Client(base_url=url, headers={"DHL-API-Key": SANDBOX_KEY}, timeout=10) as client:
        for i in range(count):
            body = {
                "service": "next-day", "reference": f"T{i}", "sender": ADDRESS_FROM,
                "recipient": ADDRESS_TO,
                "parcels": [{"weight_g": 500, "length_mm": 200, "width_mm": 150, "height_mm": 100}],
            }  # fmt: skip
            answer = client.post("/shipments", json=body, headers={"Idempotency-Key": f"k{i}"})
            answer.raise_for_status()
            numbers.append(answer.json()["trackingNumber"])
    return numbers


def event(number: str, status: TrackingStatus, at: dt.datetime, text: str = "") -> TrackingEvent:
    text = text or status.value
    return TrackingEvent(
        tracking_number=number, status=status, occurred_at=at, courier_code=status.value,
        courier_description=text, event_id=make_event_id("sandbox", number, text, at),
    )  # fmt: skip


def result(number: str, *events: TrackingEvent, estimate=None) -> TrackingResult:
    return TrackingResult.from_events(number, events, estimated_delivery=estimate)
