"""Address risk against the database: each order scored at intake, training from the shop's
tracking history, last month's what-if, the settings (page and API) refusing bad thresholds,
and every read scoped to the merchant."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.test import Client

from fulfillment.models import Order, Shipment, ShipmentEvent
from fulfillment.models.risk import AddressRiskModel, OrderRisk
from fulfillment.risk import selectors, services
from tests.factories.couriers import make_account, make_service
from tests.factories.orders import make_order
from tests.support.helpers import signed_in_client

UTC = dt.UTC
pytestmark = pytest.mark.sqlite  # `make run`'s database: intake scoring, training, the what-if


@pytest.mark.django_db
def test_each_new_order_is_scored_at_intake(merchant_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        plain = make_order(merchant_a.merchant)
        po_box = make_order(merchant_a.merchant, destination={"line1": "PO Box 17"})
    plain_risk = OrderRisk.objects.get(order=plain)
    box_risk = OrderRisk.objects.get(order=po_box)
    assert plain_risk.merchant_id == merchant_a.merchant.pk
    assert 0 < plain_risk.score < box_risk.score
    assert box_risk.reasons[0]["code"] == "po_box"
    assert "PO box" in box_risk.reasons[0]["text"]
    # Scoring again rewrites the one row (idempotent).
    services.score_order(order=po_box)
    assert OrderRisk.objects.filter(order=po_box).count() == 1


@pytest.mark.django_db
def test_a_shopper_is_new_until_an_earlier_parcel_of_theirs_was_delivered(merchant_a, merchant_b):
    def order(merchant, email, phone):
        return make_order(merchant, shopper={"name": "Ada", "email": email, "phone": phone})

    def delivered(earlier):
        Order.objects.filter(pk=earlier.pk).update(status=Order.Status.DELIVERED)

    earlier = order(merchant_a.merchant, "Ada@Example.com", "+13125550100")
    assert services.is_new_customer(order(merchant_a.merchant, "ada@example.com", "")) is True
    delivered(earlier)
    # The same email in another case, or the same phone, is the same shopper.
    assert services.is_new_customer(order(merchant_a.merchant, "ADA@example.COM", "")) is False
    assert services.is_new_customer(order(merchant_a.merchant, "", "+13125550100")) is False
    assert services.is_new_customer(order(merchant_a.merchant, "bo@example.com", "+1312")) is True
    assert services.is_new_customer(order(merchant_a.merchant, "", "")) is None
    # Another shop's deliveries say nothing, nor does an order placed before the delivered one.
    assert services.is_new_customer(order(merchant_b.merchant, "ada@example.com", "")) is True
    Order.objects.filter(pk=earlier.pk).update(created_at=earlier.created_at + dt.timedelta(days=1))
    assert services.is_new_customer(order(merchant_a.merchant, "ada@example.com", "")) is True


def seed_history(merchant, *, seed: int = 1, per_month: int = 70) -> dict:
    """Home deliveries Jan-Jun 2026: ZIP 60601 fails 40%, 60614 3%; a failed attempt later
    delivered counts as failed; parcels still moving and locker orders are left out."""
    rng = random.Random(seed)
    service = make_service(make_account(merchant))
    counts = {"60601": [0, 0], "60614": [0, 0]}
    for month in range(1, 7):
        for i in range(per_month):
            zip5 = "60601" if i % 2 else "60614"
            failed = rng.random() < (0.4 if zip5 == "60601" else 0.03)
            created = dt.datetime(2026, month, 1 + i % 27, 12, tzinfo=UTC)
            order = Order.objects.create(
                merchant=merchant,
                shopper_name="Pat",
                shopper_email=f"pat{i}@example.com",
                line1=f"{i} Main St",
                postal_code=zip5,
                normalized_postal_code=zip5,
                coordinates_source="shop",
                created_at=created,
                status=Order.Status.RETURNED if failed else Order.Status.DELIVERED,
            )
            status = "delivered" if not failed or i % 3 == 0 else "returned"
            shipment = Shipment.objects.create(
                merchant=merchant,
                order=order,
                account=service.account,
                service=service,
                idempotency_key=f"h-{merchant.pk}-{order.pk}",
                price_minor=500,
                currency="USD",
                status=status,
            )
            if failed:
                ShipmentEvent.objects.create(
                    merchant=merchant,
                    shipment=shipment,
                    event_id=f"e{order.pk}",
                    status="failed_attempt",
                    occurred_at=created + dt.timedelta(days=1),
                    source="courier",
                )
            counts[zip5][0] += failed
            counts[zip5][1] += 1
    moving = Order.objects.create(
        merchant=merchant, shopper_name="M", postal_code="60601", created_at=created
    )
    Shipment.objects.create(
        merchant=merchant,
        order=moving,
        account=service.account,
        service=service,
        idempotency_key=f"moving-{merchant.pk}",
        price_minor=500,
        currency="USD",
        status="in_transit",
    )
    return counts


@pytest.mark.django_db
def test_training_learns_from_the_shops_own_tracking_history(merchant_a, merchant_b):
    counts = seed_history(merchant_a.merchant)
    seed_history(merchant_b.merchant, seed=2, per_month=10)  # another shop's rows stay out
    row = services.train_risk_model(
        merchant=merchant_a.merchant, now=dt.datetime(2026, 7, 2, tzinfo=UTC)
    )
    assert row.kind == "trained"
    assert row.zip_stats == counts  # {zip: [failures, deliveries]}, the parcel in transit left out
    metrics = row.metrics
    assert metrics["rows"] == 420 and metrics["test_months"] == ["2026-05", "2026-06"]
    assert metrics["train_months"][-1] == "2026-04"
    assert metrics["auc"] > 0.7  # the ZIP is the one real cause here
    assert row.coefficients["zip_rate"] > 0.5
    assert services.latest_model(merchant_a.merchant) == row
    assert services.latest_model(merchant_b.merchant) is None


@pytest.mark.django_db
def test_last_months_what_if_counts_moved_orders_and_failures_among_them(merchant_a):
    merchant = merchant_a.merchant
    service = make_service(make_account(merchant))
    for i, (score, failed) in enumerate([(0.6, True), (0.5, False), (0.1, True), (0.05, False)]):
        order = Order.objects.create(
            merchant=merchant,
            shopper_name="P",
            postal_code="60601",
            created_at=dt.datetime(2026, 5, 10 + i, tzinfo=UTC),
        )
        OrderRisk.objects.create(merchant=merchant, order=order, score=score, level="x")
        Shipment.objects.create(
            merchant=merchant,
            order=order,
            account=service.account,
            service=service,
            idempotency_key=f"w-{order.pk}",
            price_minor=1,
            currency="USD",
            status="returned" if failed else "delivered",
        )
    now = dt.datetime(2026, 6, 15, tzinfo=UTC)
    effect = selectors.threshold_preview(merchant, 0.4, now=now)
    assert (effect["orders"], effect["moved"], effect["failures"], effect["failures_avoided"]) == (
        4,
        2,
        2,
        1,
    )
    assert effect["month"] == "May 2026"
    assert (
        selectors.threshold_preview(merchant, 0.4, now=now + dt.timedelta(days=31))["orders"] == 0
    )


@pytest.mark.parametrize(
    "value", ["abc", None, float("nan"), float("inf"), 0, 1, -0.2, 1e308, "0.995", [0.2]]
)
@pytest.mark.django_db
def test_a_bad_threshold_is_refused_with_a_clear_error(merchant_a, value):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.update_risk_settings(merchant=merchant_a.merchant, enabled=True, threshold=value)
    assert "threshold" in caught.value.message_dict
    assert services.get_risk_settings(merchant_a.merchant).threshold == 0.25


@pytest.mark.django_db
def test_the_settings_api_saves_and_refuses_bad_values(merchant_a, api_client_a):
    ok = api_client_a.put(
        "/api/v1/address-risk/settings",
        {"enabled": False, "threshold": 0.3},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["enabled"] is False and ok.json()["threshold"] == 0.3
    assert ok.json()["model"]["kind"] == "prior"
    for body, field in [
        ({"enabled": True, "threshold": 5}, "threshold"),
        ({"enabled": True, "threshold": "lots"}, "threshold"),
        ({"enabled": "yes", "threshold": 0.2}, "enabled"),
        ({"enabled": True, "threshold": 1e300}, "threshold"),
        ({}, "enabled"),
    ]:
        bad = api_client_a.put(
            "/api/v1/address-risk/settings", body, content_type="application/json"
        )
        assert bad.status_code == 422, (body, bad.content)
        assert bad.json()["field"] == field, (body, bad.json())
    empty = api_client_a.put("/api/v1/address-risk/settings", "", content_type="application/json")
    assert empty.status_code in (400, 422)
    infinite = api_client_a.put(
        "/api/v1/address-risk/settings",
        '{"enabled": true, "threshold": Infinity}',
        content_type="application/json",
    )
    assert infinite.status_code == 400 and infinite.json()["code"] == "malformed_json"
    assert services.get_risk_settings(merchant_a.merchant).threshold == 0.3
    preview = api_client_a.get("/api/v1/address-risk/preview", {"threshold": "2"})
    assert preview.status_code == 422 and preview.json()["field"] == "threshold"
    assert api_client_a.get("/api/v1/address-risk/preview", {"threshold": "0.2"}).status_code == 200


@pytest.mark.django_db
def test_order_scores_and_settings_are_the_merchants_own(
    merchant_a, merchant_b, api_client_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mine = make_order(merchant_a.merchant)
        theirs = make_order(merchant_b.merchant)
    found = api_client_a.get(f"/api/v1/address-risk/orders/{mine.pk}")
    assert found.status_code == 200 and found.json()["order_id"] == mine.pk
    assert api_client_a.get(f"/api/v1/address-risk/orders/{theirs.pk}").status_code == 404
    assert api_client_a.get("/api/v1/address-risk/orders/99999999999").status_code == 404
    api_client_a.put(
        "/api/v1/address-risk/settings",
        {"enabled": False, "threshold": 0.5},
        content_type="application/json",
    )
    assert services.get_risk_settings(merchant_b.merchant).enabled is True
    anonymous = Client().get("/api/v1/address-risk")
    assert anonymous.status_code == 401


@pytest.mark.django_db
def test_the_settings_page_saves_shows_errors_and_draws_the_calibration(merchant_a):
    client = signed_in_client(merchant_a)
    page = client.get("/app/address-risk/")
    assert page.status_code == 200 and b"No model trained yet" in page.content
    bad = client.post("/app/address-risk/", {"enabled": "on", "threshold_percent": "150"})
    assert bad.status_code == 400 and b"less than or equal to 99" in bad.content
    good = client.post("/app/address-risk/", {"enabled": "on", "threshold_percent": "12.5"})
    assert good.status_code == 302
    assert services.get_risk_settings(merchant_a.merchant).threshold == 0.125
    AddressRiskModel.objects.create(
        merchant=merchant_a.merchant,
        kind="trained",
        intercept=-3,
        coefficients={"zip_rate": 1.0, "po_box": 2.0},
        means={},
        zip_stats={},
        overall_rate=0.05,
        metrics={
            "rows": 1000,
            "failures": 80,
            "auc": 0.71,
            "baseline_auc": 0.62,
            "test_months": ["2026-05", "2026-06"],
            "train_months": ["2026-01"],
            "train_rows": 800,
            "test_rows": 200,
            "calibration": [
                {"predicted": 0.02, "observed": 0.03, "count": 100},
                {"predicted": 0.2, "observed": 0.18, "count": 100},
            ],
        },
    )
    shown = client.get("/app/address-risk/")
    html = shown.content.decode()
    assert "0.71" in html and "<svg" in html and html.count("<circle") == 2
    assert "A PO box" in html  # the weights in words
    preview = client.get("/app/address-risk/preview", {"threshold_percent": "20"})
    assert preview.status_code == 200 and b"risk-preview" in preview.content
    assert client.get("/app/address-risk/preview", {"threshold_percent": "x"}).status_code == 400
    other = signed_in_client(merchant_a)
    assert other.post("/app/address-risk/train").status_code == 302


@pytest.mark.django_db
def test_the_nightly_fan_out_trains_each_merchant_with_recent_orders_once(
    merchant_a, merchant_b, monkeypatch
):
    from fulfillment.risk import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.train_address_risk, "delay", queued.append)
    make_order(merchant_a.merchant)
    make_order(merchant_a.merchant)
    assert tasks.train_address_risk_models() == 1
    assert queued == [merchant_a.merchant.pk]
    # One merchant's training, run twice, stores a fresh model each time and fails nothing.
    assert tasks.train_address_risk(merchant_a.merchant.pk) is not None
    assert tasks.train_address_risk(merchant_a.merchant.pk) is not None
    assert AddressRiskModel.objects.filter(merchant=merchant_a.merchant).count() == 2
    assert tasks.train_address_risk(10**12) is None  # a merchant gone since: nothing to do
