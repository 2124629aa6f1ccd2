"""The delivery-options API with the address risk: over the merchant's threshold the nearest
locker (or shop) is first with a short reason; under it, or switched off, nothing moves."""

from __future__ import annotations

import pytest
from django.test import Client

from fulfillment.models.risk import AddressRiskModel
from fulfillment.risk.model import prior_model
from fulfillment.risk.services import update_risk_settings
from tests.factories.lockers import LINCOLN_PARK, LOOP, make_bank, make_shop
from tests.factories.merchant import make_point

pytestmark = pytest.mark.sqlite
ORIGIN = "http://localhost:8000"
SMALL = {"weight_g": 500, "length_mm": 300, "width_mm": 200, "height_mm": 50}


def options(new, **params) -> dict:
    headers = {"X-Nearbox-Key": new.publishable_key.raw, "Origin": ORIGIN}
    response = Client(headers=headers).get("/api/v1/delivery-options", {**SMALL, **params})
    assert response.status_code == 200, response.content
    return response.json()


def risky_zip_model(merchant, zip5: str = "60601") -> AddressRiskModel:
    """A model whose history says most home deliveries to `zip5` came back."""
    model = prior_model(0.05)
    return AddressRiskModel.objects.create(
        merchant=merchant,
        kind="trained",
        intercept=model.intercept,
        coefficients=dict(model.coefficients),
        means=dict(model.means),
        zip_stats={zip5: [60, 100], "60614": [1, 100]},
        overall_rate=0.05,
        unit_streets=[],
    )


@pytest.fixture
def network(merchant_a):
    merchant = merchant_a.merchant
    make_point(merchant, name="Loop warehouse", role="in_use")
    near = make_bank(merchant, at=LOOP, name="Loop Locker")
    far = make_bank(merchant, at=LINCOLN_PARK, name="Lincoln Park Locker")
    shop = make_shop(merchant, at=(41.8861, -87.6190), name="Corner Store")
    return {"near": near, "far": far, "shop": shop}


@pytest.mark.django_db
def test_over_the_threshold_the_nearest_locker_is_first_with_the_reason(merchant_a, network):
    risky_zip_model(merchant_a.merchant)
    body = options(merchant_a, postal_code="60601")
    risk = body["risk"]
    assert risk["level"] == "high" and risk["score"] > 0.25
    assert risk["reasons"][0]["code"] == "zip_rate"
    suggestion = risk["suggestion"]
    assert suggestion["ref"] == body["lockers"][0]["ref"] == f"locker:{network['near'].pk}"
    assert suggestion["kind"] == "locker" and suggestion["hold_days"] == 7
    metres = body["lockers"][0]["distance_m"]
    assert suggestion["distance_m"] == metres
    assert suggestion["text"].startswith("Parcels to this area often come back; a locker ")
    assert suggestion["text"].endswith(" away holds it for 7 days.")


@pytest.mark.django_db
def test_under_the_threshold_or_switched_off_nothing_is_suggested(merchant_a, network):
    risky_zip_model(merchant_a.merchant)
    calm = options(merchant_a, postal_code="60614")
    assert calm["risk"]["level"] == "low" and calm["risk"]["suggestion"] is None
    update_risk_settings(merchant=merchant_a.merchant, enabled=True, threshold=0.9)
    high_bar = options(merchant_a, postal_code="60601")
    assert high_bar["risk"]["suggestion"] is None and high_bar["risk"]["level"] != "high"
    update_risk_settings(merchant=merchant_a.merchant, enabled=False, threshold=0.25)
    off = options(merchant_a, postal_code="60601")
    assert off["risk"]["score"] > 0.25 and off["risk"]["suggestion"] is None


@pytest.mark.django_db
def test_a_pickup_shop_nearer_than_any_locker_is_the_one_suggested(merchant_a):
    merchant = merchant_a.merchant
    make_point(merchant, name="Loop warehouse", role="in_use")
    make_bank(merchant, at=LINCOLN_PARK, name="Far Locker")
    shop = make_shop(merchant, at=LOOP, name="Loop Shop")
    risky_zip_model(merchant)
    body = options(merchant_a, postal_code="60601")
    assert body["risk"]["suggestion"]["ref"] == f"shop:{shop.pk}"
    assert "a pickup shop " in body["risk"]["suggestion"]["text"]


@pytest.mark.django_db
def test_the_typed_street_feeds_the_score(merchant_a, network):
    plain = options(merchant_a, postal_code="60614", street="12 Oak Ln")
    po_box = options(merchant_a, postal_code="60614", street="PO Box 44")
    assert po_box["risk"]["score"] > plain["risk"]["score"]
    assert po_box["risk"]["reasons"][0]["code"] == "po_box"
    too_long = Client(
        headers={"X-Nearbox-Key": merchant_a.publishable_key.raw, "Origin": ORIGIN}
    ).get("/api/v1/delivery-options", {**SMALL, "postal_code": "60614", "street": "x" * 500})
    assert too_long.status_code == 422 and too_long.json()["field"] == "street"


@pytest.mark.django_db
def test_one_merchants_model_never_scores_anothers_checkout(merchant_a, merchant_b):
    risky_zip_model(merchant_a.merchant)
    for new in (merchant_a, merchant_b):
        make_point(new.merchant, name="Loop warehouse", role="in_use")
        make_bank(new.merchant, at=LOOP, name="Loop Locker")
    assert options(merchant_a, postal_code="60601")["risk"]["level"] == "high"
    other = options(merchant_b, postal_code="60601")["risk"]
    assert other["level"] == "low" and other["suggestion"] is None
