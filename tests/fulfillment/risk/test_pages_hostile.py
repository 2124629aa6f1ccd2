"""Address risk settings page, preview fragment and API with hostile values (also on SQLite):
clear 4xx or form errors, never a 500; the what-if says its "avoided" figure is a ceiling and
counts the order's own shipments only."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.template.loader import render_to_string

from fulfillment.models import Order, Shipment, ShipmentEvent
from fulfillment.models.risk import AddressRiskSettings, OrderRisk
from fulfillment.risk import selectors
from tests.factories.couriers import make_account, make_service
from tests.support.helpers import signed_in_client

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
HOSTILE_PERCENT = ["nan", "NaN", "inf", "-inf", "1e309", "9" * 400, "\x00", "12\x00", "", "½", "-5"]


@pytest.mark.parametrize("value", HOSTILE_PERCENT)
def test_the_settings_page_and_preview_refuse_hostile_thresholds(merchant_a, value):
    client = signed_in_client(merchant_a)
    page = client.post("/app/address-risk/", {"enabled": "on", "threshold_percent": value})
    assert page.status_code == 400 and b"errorlist" in page.content
    preview = client.get("/app/address-risk/preview", {"threshold_percent": value})
    assert preview.status_code == 400 and b"between 1 and 99" in preview.content
    assert not AddressRiskSettings.objects.filter(merchant=merchant_a.merchant).exists()


@pytest.mark.parametrize(
    "body",
    [
        {"enabled": True, "threshold": "NaN"},
        {"enabled": True, "threshold": "Infinity"},
        {"enabled": True, "threshold": 1e308},
        {"enabled": True, "threshold": "0.2\x00"},
        {"enabled": "yes", "threshold": 0.2},
        {"enabled": 1, "threshold": 0.2},
        {"enabled": True, "threshold": [0.2]},
        {"enabled": True, "threshold": {"x": 1}},
        {"enabled": True},
        {"threshold": 0.2},
    ],
)
def test_the_settings_api_refuses_hostile_bodies_with_a_422(api_client_a, merchant_a, body):
    response = api_client_a.put(
        "/api/v1/address-risk/settings", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert response.json()["field"]
    assert not AddressRiskSettings.objects.filter(merchant=merchant_a.merchant).exists()


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-1e999", "\x00", "x" * 5000, "", "0x10"])
def test_hostile_preview_thresholds_and_order_ids_are_4xx(api_client_a, raw):
    preview = api_client_a.get("/api/v1/address-risk/preview", {"threshold": raw})
    assert preview.status_code == 422, preview.content
    order = api_client_a.get(f"/api/v1/address-risk/orders/{raw or 'none'}")
    assert order.status_code in (404, 422), order.content


def test_the_what_if_counts_the_orders_own_shipments_and_calls_avoided_a_ceiling(merchant_a):
    merchant = merchant_a.merchant
    service = make_service(make_account(merchant))
    order = Order.objects.create(
        merchant=merchant,
        shopper_name="P",
        postal_code="60601",
        created_at=dt.datetime(2026, 5, 10, tzinfo=dt.UTC),
    )
    OrderRisk.objects.create(merchant=merchant, order=order, score=0.6, level="high")
    for is_return in (False, True):
        shipment = Shipment.objects.create(
            merchant=merchant,
            order=order,
            account=service.account,
            service=service,
            idempotency_key=f"r-{is_return}",
            price_minor=1,
            currency="USD",
            status="delivered",
            is_return=is_return,
        )
    # The shopper's return parcel came back to the shop: not a failed home delivery.
    ShipmentEvent.objects.create(
        merchant=merchant,
        shipment=shipment,
        event_id="back",
        status="returned",
        occurred_at=dt.datetime(2026, 5, 20, tzinfo=dt.UTC),
        source="courier",
    )
    effect = selectors.threshold_preview(merchant, 0.4, now=dt.datetime(2026, 6, 15, tzinfo=dt.UTC))
    assert (effect["moved"], effect["failures"], effect["failures_avoided"]) == (1, 0, 0)

    shown = render_to_string(
        "fulfillment/risk/_preview.html",
        {"preview": {**effect, "moved": 12, "orders": 90, "failures": 9, "failures_avoided": 4}},
    )
    assert '<strong data-testid="avoided">4</strong> of the 9' in shown
    assert "at most that many avoided" in shown
