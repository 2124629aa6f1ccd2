"""The courier scorecard from shipment history, and the best-on-time rule reading it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fulfillment.couriers.adapters import TrackingEvent, TrackingStatus
from fulfillment.couriers.selectors import rate_book, rate_input_for_order
from fulfillment.couriers.services.accounts import set_rule
from fulfillment.couriers.services.rates import shop
from fulfillment.couriers.services.scorecard import scorecard
from fulfillment.shipments.services.booking import record_event
from tests.factories.couriers import make_account, make_service
from tests.factories.orders import make_order

pytestmark = pytest.mark.django_db


def history(merchant, service, *, hours: list[int], late: int, failed_first: int, price=500):
    from fulfillment.models import Shipment

    now = timezone.now()
    order = make_order(merchant)
    for i, h in enumerate(hours):
        handed = now - dt.timedelta(days=2)
        delivered = handed + dt.timedelta(hours=h)
        promised = delivered + (dt.timedelta(hours=-1) if i < late else dt.timedelta(hours=1))
        shipment = Shipment.objects.create(
            merchant=merchant, order=order, account=service.account, service=service,
            idempotency_key=f"sc-{service.pk}-{i}", tracking_number=f"SC{service.pk}-{i}",
            price_minor=price, currency="USD", status="delivered", handed_over_at=handed,
            delivered_at=delivered, promised_until=promised,
        )  # fmt: skip
        if i < failed_first:
            record_event(
                shipment=shipment,
                event=TrackingEvent(
                    shipment.tracking_number,
                    TrackingStatus.FAILED_ATTEMPT,
                    handed,
                    "NH",
                    "Not home",
                    event_id=f"f-{shipment.pk}",
                ),
            )


def test_scorecard_measures_on_time_first_attempt_transit_and_cost(merchant_a):
    merchant = merchant_a.merchant
    service = make_service(make_account(merchant))
    history(merchant, service, hours=[10, 20, 30, 40, 50, 60, 70, 80, 90, 100], late=2,
            failed_first=1, price=640)  # fmt: skip
    line = scorecard(merchant)[(service.account_id, service.pk)]
    assert line.parcels == 10 and line.delivered == 10
    assert line.on_time_rate == pytest.approx(0.8)
    assert line.first_attempt_rate == pytest.approx(0.9)
    assert line.mean_transit_h == pytest.approx(55)
    assert line.p90_transit_h == pytest.approx(90)
    assert line.cost_per_parcel_minor == 640


def test_best_on_time_rule_prefers_the_courier_that_delivers_on_time(merchant_a, client_a):
    merchant = merchant_a.merchant
    cheap = make_service(make_account(merchant, name="Cheap but late"), base_minor=300)
    steady = make_service(make_account(merchant, name="Steady"), base_minor=700)
    history(merchant, cheap, hours=[5] * 6, late=4, failed_first=0)
    history(merchant, steady, hours=[5] * 6, late=0, failed_first=0)
    set_rule(merchant=merchant, rule="best_on_time")
    order = make_order(merchant)
    result = shop(rate_book(merchant), rate_input_for_order(order), timezone.now())
    assert result.chosen.account_name == "Steady"
    assert "100% of 6 parcels on time (next best 33%)" in result.why
    page = client_a.get("/app/couriers/").content.decode()
    assert "33% of 6" in page and "100% of 6" in page
