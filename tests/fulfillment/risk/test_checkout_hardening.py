"""The shopper's checkout path with the address risk (review of #20 item 3): a scoring failure
never breaks the delivery-options answer, a shopper's request writes nothing, hostile address
fields are a 422 or a plain answer, and the reason text tells the shopper nothing about others."""

from __future__ import annotations

import logging

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fulfillment.models.risk import AddressRiskModel, AddressRiskSettings
from fulfillment.risk import services
from fulfillment.risk.features import WORDS

from . import test_checkout_options as base
from .test_checkout_options import ORIGIN, SMALL, options, risky_zip_model

network = base.network  # the same Loop network fixture

pytestmark = pytest.mark.sqlite


def get(new, **params):
    headers = {"X-Nearbox-Key": new.publishable_key.raw, "Origin": ORIGIN}
    return Client(headers=headers).get("/api/v1/delivery-options", {**SMALL, **params})


@pytest.mark.django_db
def test_a_broken_model_gives_the_answer_without_risk_and_a_warning(merchant_a, network, caplog):
    risky_zip_model(merchant_a.merchant)
    baseline = options(merchant_a, postal_code="60601")
    assert baseline["risk"]["suggestion"] is not None
    services._cache.clear()
    # A newer model row whose weights are not numbers: scoring raises a TypeError.
    AddressRiskModel.objects.create(
        merchant=merchant_a.merchant,
        kind="trained",
        intercept=0.0,
        coefficients={"zip_rate": "heavy"},
        means={},
        zip_stats={},
        overall_rate=0.05,
    )
    caplog.set_level(logging.WARNING, logger="fulfillment.risk.checkout")
    response = get(merchant_a, postal_code="60601")
    assert response.status_code == 200, response.content
    body = response.json()
    assert "risk" not in body
    # The lists are as they would be without the risk: not reordered half-way.
    assert [p["ref"] for p in body["lockers"]] == sorted(
        (p["ref"] for p in body["lockers"]),
        key=lambda ref: next(x["distance_m"] for x in body["lockers"] if x["ref"] == ref),
    )
    assert body["home"] == baseline["home"]
    warnings = [r for r in caplog.records if r.name == "fulfillment.risk.checkout"]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert warnings[0].exc_info is not None


@pytest.mark.django_db
def test_a_shoppers_checkout_writes_nothing_and_the_defaults_apply(merchant_a, network):
    assert not AddressRiskSettings.objects.filter(merchant=merchant_a.merchant).exists()
    risky_zip_model(merchant_a.merchant)
    with CaptureQueriesContext(connection) as queries:
        body = options(merchant_a, postal_code="60601")
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and "risk" in q["sql"].lower()
    ]
    assert writes == []
    assert not AddressRiskSettings.objects.filter(merchant=merchant_a.merchant).exists()
    # The defaults (on, 25 %) acted all the same.
    assert body["risk"]["suggestion"] is not None
    # The merchant's first save makes the row, once.
    services.update_risk_settings(merchant=merchant_a.merchant, enabled=False, threshold=0.4)
    services.update_risk_settings(merchant=merchant_a.merchant, enabled=True, threshold=0.5)
    rows = AddressRiskSettings.objects.filter(merchant=merchant_a.merchant)
    assert rows.count() == 1 and rows.get().threshold == 0.5


HOSTILE = [
    {"street": "12 Oak Ln\x00; DROP TABLE"},
    {"unit": "\x00"},
    {"company": "Acme LLC\x00"},
    {"street": "PO Box " + "9" * 190},
    {"street": "\u202e\u0000x", "unit": "#" * 200, "company": "é" * 150},
    {"street": "x" * 201},
    {"unit": "x" * 201},
    {"company": "x" * 151},
    {"street": ["a", "b"]},
]


@pytest.mark.django_db
@pytest.mark.parametrize("params", HOSTILE)
def test_hostile_address_fields_are_a_422_or_a_plain_answer(merchant_a, network, params):
    response = get(merchant_a, postal_code="60601", **params)
    assert response.status_code in (200, 422), response.content
    if response.status_code == 422:
        assert response.json()["field"] in ("street", "unit", "company")
    else:
        assert 0 <= response.json()["risk"]["score"] <= 1


def test_no_shopper_reason_speaks_of_other_customers():
    """The shopper sees the first words of each pair; none mentions customers, orders, names or
    counts (the merchant's words may)."""
    for code, (shopper, _merchant) in WORDS.items():
        lowered = shopper.lower()
        assert not any(w in lowered for w in ("customer", "order", "neighbour", "%")), code
        assert not any(ch.isdigit() for ch in shopper), code


def test_the_process_cache_of_models_is_bounded(monkeypatch):
    """One process serves many shops' checkouts: it keeps at most MAX_CACHED models, dropping
    expired ones first, then the oldest; the shop just asked about is always kept."""
    monkeypatch.setattr(services, "MAX_CACHED", 4)
    clock = [1000.0]
    monkeypatch.setattr(services.time, "monotonic", lambda: clock[0])
    stand_in = object()
    for merchant_id in range(1, 5):
        services._remember(merchant_id, stand_in)
    clock[0] += services.CACHE_SECONDS + 1  # 1..4 expire
    services._remember(5, stand_in)
    assert set(services._cache) == {5}
    for merchant_id in range(6, 12):
        services._remember(merchant_id, stand_in)
    assert list(services._cache) == [8, 9, 10, 11]
    services._remember(8, stand_in)  # asked again: now the newest
    services._remember(12, stand_in)
    assert list(services._cache) == [10, 11, 8, 12]


@pytest.mark.django_db
def test_training_knows_a_customer_only_from_orders_delivered_before_the_new_one(merchant_a):
    """Training sees what intake saw: an earlier order still on its way (delivered later) does
    not make the next order's customer known; one delivered before it does."""
    import datetime as dt

    from fulfillment.models import Order, Shipment
    from tests.factories.couriers import make_account, make_service

    merchant = merchant_a.merchant
    service = make_service(make_account(merchant))

    def delivered(day: int, arrived: int | None) -> Order:
        order = Order.objects.create(
            merchant=merchant,
            shopper_name="Pat",
            shopper_email="pat@example.com",
            postal_code="60601",
            created_at=dt.datetime(2026, 1, day, 12, tzinfo=dt.UTC),
            status=Order.Status.DELIVERED,
        )
        Shipment.objects.create(
            merchant=merchant,
            order=order,
            account=service.account,
            service=service,
            idempotency_key=f"k-{day}",
            price_minor=1,
            currency="USD",
            status="delivered",
            delivered_at=None if arrived is None else dt.datetime(2026, 1, arrived, tzinfo=dt.UTC),
        )
        return order

    delivered(1, 10)  # on its way until Jan 10
    delivered(5, 6)  # ordered while the first was moving: new
    delivered(8, None)  # after the second arrived (Jan 6): known
    records = services.history_records(merchant)
    assert [r.facts.new_customer for r in records] == [True, True, False]
