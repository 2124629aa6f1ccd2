"""GET /api/v1/analytics and /export.csv: the report under the filters, a 422 problem naming the
field for every bad filter (hostile values included), and merchant B never sees A's figures."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from fulfillment.analytics.services.rollups import rebuild
from tests.fulfillment.analytics.history import make_world, write_history
from tests.fulfillment.analytics.test_report_property import EDGES

pytestmark = [pytest.mark.django_db]
PERIOD = {"date_from": "2026-03-01", "date_to": "2026-03-14"}


@pytest.fixture
def shop_a(merchant_a):
    """merchant_a with the edge history, rolled up."""
    world = make_world()
    # Move the world's rows onto merchant_a: its API key is what the client sends.
    merchant = merchant_a.merchant
    merchant.time_zone = "America/Chicago"
    merchant.save(update_fields=["time_zone"])
    for obj in [*world.points, *world.accounts, *world.services, world.product]:
        obj.merchant = merchant
        obj.save()
    world.merchant = merchant
    write_history(world, EDGES)
    rebuild(merchant=merchant)
    return world


def test_the_report_answers_with_the_figures_of_the_period(api_client_a: Client, shop_a):
    response = api_client_a.get("/api/v1/analytics", PERIOD)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["cost"]["figures"]["orders"] == len(EDGES)
    assert body["cost"]["figures"]["voids"] == 1
    assert body["previous_from"] == "2026-02-15"
    assert len(body["performance"]["daily"]) == 14
    assert body["pickup"]["figures"]["locker_orders"] == 1
    assert body["placement"]["figures"]["split_orders"] == 1
    couriers = {row["key"]: row for row in body["cost"]["breakdowns"]["by_courier"]}
    assert couriers[shop_a.accounts[0].pk]["label"] == "C0"


def test_filters_narrow_the_report(api_client_a: Client, shop_a):
    own = api_client_a.get("/api/v1/analytics", {**PERIOD, "carrier": "own_fleet"}).json()
    assert own["cost"]["figures"]["orders"] == 0
    day = api_client_a.get(
        "/api/v1/analytics", {"date_from": "2026-03-01", "date_to": "2026-03-01"}
    )
    assert day.json()["cost"]["figures"]["orders"] == 1
    zip_ = api_client_a.get("/api/v1/analytics", {**PERIOD, "zip": "6061"}).json()
    assert zip_["cost"]["figures"]["orders"] == len(EDGES)
    none = api_client_a.get("/api/v1/analytics", {**PERIOD, "zip": "9"}).json()
    assert none["cost"]["figures"]["orders"] == 0
    point = api_client_a.get(
        "/api/v1/analytics", {**PERIOD, "point_id": shop_a.points[1].pk}
    ).json()
    assert point["cost"]["figures"]["orders"] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "2026-13-01"}, "date_from"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"date_from": "0001-01-01", "date_to": "0001-01-02"}, "date_from"),
        ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "date_to"),
        ({"date_from": "2020-01-01", "date_to": "2026-01-01"}, "date_to"),
        ({"point_id": "99999999999999999999999"}, "point_id"),
        ({"point_id": "-1"}, "point_id"),
        ({"point_id": "987654321"}, "point_id"),
        ({"carrier": "ups"}, "carrier"),
        ({"service_id": "1e9"}, "service_id"),
        ({"zip": "<script>"}, "zip"),
        ({"zip": "606\x00"}, "zip"),
        ({"channel": "telepathy"}, "channel"),
    ],
)
def test_bad_filters_are_a_422_naming_the_field(api_client_a: Client, shop_a, params, field):
    for url in ("/api/v1/analytics", "/api/v1/analytics/export.csv"):
        response = api_client_a.get(url, params)
        assert response.status_code == 422, (url, response.content)
        body = response.json()
        assert body["code"] == "invalid_filters"
        assert body["field"] == field
        assert body["detail"]


def test_undecodable_bytes_in_a_filter_are_a_422(api_client_a: Client, shop_a):
    response = api_client_a.get("/api/v1/analytics?channel=%ED%A0%80&zip=%FF")
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"channel", "zip"}


def test_another_merchants_ids_are_refused_and_its_figures_never_shown(
    shop_a, make_merchant, api_client_a: Client
):
    other = make_merchant("Shop B")
    b = Client(headers={"Authorization": f"Bearer {other.secret_key.raw}"})
    # B sees nothing of A's rollups.
    body = b.get("/api/v1/analytics", PERIOD).json()
    assert body["cost"]["figures"]["orders"] == 0
    assert body["cost"]["breakdowns"]["by_courier"] == []
    # A's ids are unknown ids to B: the same 422 as an id that never existed.
    for name, value in (
        ("point_id", shop_a.points[0].pk),
        ("carrier", shop_a.accounts[0].pk),
        ("service_id", shop_a.services[0].pk),
    ):
        response = b.get("/api/v1/analytics", {**PERIOD, name: value})
        assert response.status_code == 422 and response.json()["field"] == name
    assert b.get("/api/v1/analytics/export.csv", PERIOD).content.count(b"\n") == 15
    rows = list(csv.DictReader(io.StringIO(b.get("/api/v1/analytics/export.csv", PERIOD).text)))
    assert sum(int(r["orders"]) for r in rows) == 0


def test_the_csv_has_a_line_per_day_with_the_figures(api_client_a: Client, shop_a):
    response = api_client_a.get("/api/v1/analytics/export.csv", PERIOD)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "analytics-2026-03-01-2026-03-14.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 14 and rows[0]["day"] == "2026-03-01"
    assert sum(int(r["orders"]) for r in rows) == len(EDGES)
    assert (
        sum(int(r["label_spend_minor"]) for r in rows) == 700 * 5
    )  # the void and the return parcel are not spend


def test_no_key_is_a_401(client: Client):
    assert client.get("/api/v1/analytics").status_code == 401
