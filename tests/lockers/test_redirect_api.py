"""The exception actions over /api/v1/shipments (#20 item 4), with hostile input: every bad
value is a JSON problem (404, 409, 422), never a 500."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from fulfillment.models import Order, ParcelRedirect
from fulfillment.tracking.reschedule import local_today
from lockers.models import Reservation
from tests.factories.couriers import make_shipment
from tests.factories.lockers import LOOP, make_bank
from tests.factories.orders import make_order


def failed_parcel(merchant, status="failed_attempt"):
    order = make_order(merchant)
    Order.objects.filter(pk=order.pk).update(latitude=LOOP[0], longitude=LOOP[1])
    return make_shipment(merchant, order=order, status=status)


def post(client, url: str, body) -> tuple[int, dict]:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    response = client.post(url, data=data, content_type="application/json")
    return response.status_code, response.json()


@pytest.mark.sqlite
@pytest.mark.django_db
def test_redirect_over_the_api_offers_holds_and_answers_the_same_twice(merchant_a, api_client_a):
    bank = make_bank(merchant_a.merchant, name="API Locker")
    shipment = failed_parcel(merchant_a.merchant)
    base = f"/api/v1/shipments/{shipment.pk}"
    options = api_client_a.get(f"{base}/redirect-options").json()
    assert [o["ref"] for o in options] == [bank.pickup_ref]
    assert options[0]["compartment_size"] in ("S", "M", "L") and options[0]["hold_days"] >= 1
    status, body = post(api_client_a, f"{base}/redirect", {"place": bank.pickup_ref})
    assert status == 201 and body["to_name"] == "API Locker"
    assert body["courier_told"] == "not_supported"
    status, again = post(api_client_a, f"{base}/redirect", {"place": bank.pickup_ref})
    assert status == 200 and again["id"] == body["id"]
    assert Reservation.objects.filter(order_id=shipment.order_id).count() == 1
    assert api_client_a.get(f"{base}/redirect-options").json() == []


@pytest.mark.sqlite
@pytest.mark.django_db
def test_hostile_values_are_json_problems(merchant_a, merchant_b, api_client_a):
    mine = failed_parcel(merchant_a.merchant)
    other_bank = make_bank(merchant_b.merchant)
    other_shipment = failed_parcel(merchant_b.merchant)
    base = f"/api/v1/shipments/{mine.pk}"
    cases = [
        (f"{base}/redirect", {"place": other_bank.pickup_ref}, 404),
        (f"{base}/redirect", {"place": "locker:99999999999999999999"}, 404),
        (f"{base}/redirect", {"place": "x" * 65}, 422),
        (f"{base}/redirect", {"place": "locker:1\x00"}, 422),
        (f"{base}/redirect", {"place": ""}, 422),
        (f"{base}/redirect", {}, 422),
        (f"{base}/redirect", "not json", 400),
        (f"{base}/redirect", {"place": {"deep": [[[[1]]]]}}, 422),
        (f"/api/v1/shipments/{other_shipment.pk}/redirect", {"place": "locker:1"}, 404),
        ("/api/v1/shipments/99999999999999999999/redirect", {"place": "locker:1"}, 422),
        (f"{base}/reschedule", {"day": "2026-02-30"}, 422),
        (f"{base}/reschedule", {"day": "9999-12-31"}, 422),
        (f"{base}/reschedule", {"day": "0001-01-01"}, 422),
        (f"{base}/reschedule", {"day": 10**30}, 422),
        (f"{base}/reschedule", {"day": "\ud800"}, 422),
        (f"/api/v1/shipments/{other_shipment.pk}/reschedule", {"day": "2030-01-01"}, 404),
    ]
    for url, body, expected in cases:
        status, problem = post(api_client_a, url, body)
        assert status == expected, (url, body, status, problem)
        assert problem["detail"] and problem["code"]
    assert not ParcelRedirect.objects.exists()
    assert (
        api_client_a.get(f"/api/v1/shipments/{other_shipment.pk}/redirect-options").status_code
        == 404
    )


@pytest.mark.sqlite
@pytest.mark.django_db
def test_a_delivered_parcel_is_a_409_and_a_good_day_a_201(merchant_a, api_client_a):
    bank = make_bank(merchant_a.merchant)
    delivered = failed_parcel(merchant_a.merchant, status="delivered")
    status, problem = post(
        api_client_a, f"/api/v1/shipments/{delivered.pk}/redirect", {"place": bank.pickup_ref}
    )
    assert (status, problem["code"]) == (409, "not_redirectable")
    moving = failed_parcel(merchant_a.merchant, status="in_transit")
    day = local_today(merchant_a.merchant) + dt.timedelta(days=1)
    status, body = post(
        api_client_a, f"/api/v1/shipments/{moving.pk}/reschedule", {"day": day.isoformat()}
    )
    assert status == 201 and body["day"] == day.isoformat()
