"""Booking courier pick-ups: through the service, the page and the API; bad weekdays, dates and
parcel counts are clear errors, another shop's point or account is refused or 404."""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from fulfillment.capacity.services import save_pickup
from fulfillment.fleet.services.setup import save_fleet_service
from fulfillment.models import CourierPickup
from tests.factories.couriers import make_account
from tests.factories.merchant import make_point
from tests.support.helpers import signed_in_client

from .conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def point(merchant_a):
    return make_point(merchant_a.merchant, name="Lincoln Park", postal_code="60614")


@pytest.fixture
def account(merchant_a):
    return make_account(merchant_a.merchant, name="DHL Express")


def _book(merchant, point, account, **fields):
    values = dict(weekdays=[0, 5], max_parcels=40, today=TODAY)
    values.update(fields)
    return save_pickup(merchant=merchant, point=point, account=account, **values)


def test_weekdays_by_number_or_name_and_dates_are_stored_sorted_once(merchant_a, point, account):
    pickup = _book(merchant_a.merchant, point, account, weekdays=["Sat", "monday", 0, "5"],
                   dates=["2026-12-24", dt.date(2026, 12, 20), "2026-12-24"])  # fmt: skip
    pickup.refresh_from_db()
    assert pickup.weekdays == [0, 5]
    assert pickup.dates == ["2026-12-20", "2026-12-24"]
    assert pickup.weekday_names == ["Mon", "Sat"]


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"weekdays": [7]}, "weekdays", "not a weekday"),
        ({"weekdays": ["someday"]}, "weekdays", "not a weekday"),
        ({"weekdays": [True]}, "weekdays", "not a weekday"),
        ({"weekdays": [], "dates": []}, "weekdays", "Choose the weekdays"),
        ({"dates": ["2026-02-30"]}, "dates", "not a date"),
        ({"dates": ["9999-12-31"]}, "dates", "too far off"),
        ({"max_parcels": 0}, "max_parcels", "at least 1"),
        ({"max_parcels": -5}, "max_parcels", "at least 1"),
        ({"max_parcels": 10**12}, "max_parcels", "too large"),
        ({"max_parcels": "12"}, "max_parcels", "whole number"),
        ({"note": "x\x00y"}, "note", "at most 200"),
    ],
)
def test_bad_values_are_errors_naming_the_field(merchant_a, point, account, fields, field, words):
    with pytest.raises(ValidationError) as caught:
        _book(merchant_a.merchant, point, account, **fields)
    assert field in caught.value.message_dict
    assert words in " ".join(caught.value.message_dict[field])
    assert not CourierPickup.objects.exists()


def test_another_shops_point_or_account_and_own_drivers_are_refused(
    merchant_a, merchant_b, point, account
):
    theirs_point = make_point(merchant_b.merchant)
    theirs_account = make_account(merchant_b.merchant)
    with pytest.raises(ValidationError, match="your storage points"):
        _book(merchant_a.merchant, theirs_point, account)
    with pytest.raises(ValidationError, match="your courier accounts"):
        _book(merchant_a.merchant, point, theirs_account)
    own = save_fleet_service(merchant=merchant_a.merchant, hub=point, name="Own",
                             area_kind="radius", radius_km=5, cutoff=dt.time(13),
                             waves=["15:00"])  # fmt: skip
    with pytest.raises(ValidationError, match="Own drivers are counted from their shifts"):
        _book(merchant_a.merchant, point, own.courier_service.account)


# --- API --------------------------------------------------------------------------------------


def _post(client, body, path="/api/v1/capacity/pickups"):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def test_api_creates_reads_replaces_and_deletes_a_pick_up(api_client_a, point, account):
    body = {"point_id": point.pk, "account_id": account.pk, "weekdays": ["sat"],
            "dates": ["2026-12-24"], "max_parcels": 40, "pickup_time": "16:30"}  # fmt: skip
    made = _post(api_client_a, body)
    assert made.status_code == 201, made.content
    data = made.json()
    assert data["weekdays"] == [5] and data["dates"] == ["2026-12-24"]
    assert data["pickup_time"] == "16:30:00"
    url = f"/api/v1/capacity/pickups/{data['id']}"
    assert api_client_a.get(url).json()["max_parcels"] == 40
    replaced = api_client_a.put(url, data=json.dumps(body | {"max_parcels": 60}),
                                content_type="application/json")  # fmt: skip
    assert replaced.status_code == 200 and replaced.json()["max_parcels"] == 60
    listed = api_client_a.get(f"/api/v1/capacity/pickups?point={point.pk}").json()
    assert [p["id"] for p in listed] == [data["id"]]
    assert api_client_a.delete(url).status_code == 204
    assert api_client_a.get(url).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weekdays": [9]}, "weekdays"),
        ({"weekdays": [True]}, "weekdays[0]"),
        ({"max_parcels": "5"}, "max_parcels"),
        ({"max_parcels": 5.5}, "max_parcels"),
        ({"weekdays": [], "dates": []}, "weekdays"),
        ({"max_parcels": -1}, "max_parcels"),
        ({"max_parcels": 10**30}, "max_parcels"),
        ({"max_parcels": 0}, "max_parcels"),
        ({"dates": ["not a date"]}, "dates[0]"),
        ({"dates": ["0001-01-01"]}, "dates"),
        ({"point_id": 10**18}, "point_id"),
        ({"account_id": "1"}, "account_id"),
        ({"note": "a\x00b"}, "note"),
        ({"pickup_time": "25:99"}, "pickup_time"),
    ],
)
def test_api_answers_bad_values_with_a_422_naming_the_field(
    api_client_a, point, account, change, field
):
    body = {"point_id": point.pk, "account_id": account.pk, "weekdays": [1], "max_parcels": 5}
    answer = _post(api_client_a, body | change)
    assert answer.status_code == 422, answer.content
    assert answer.json()["field"] == field
    assert not CourierPickup.objects.exists()


def test_api_empty_or_broken_bodies_are_client_errors(api_client_a, point, account):
    assert _post(api_client_a, None).status_code in (400, 422)
    answer = api_client_a.post(
        "/api/v1/capacity/pickups", data="{", content_type="application/json"
    )
    assert answer.status_code == 400


def test_api_keeps_shops_apart(api_client_a, merchant_a, merchant_b, point, account):
    theirs_point = make_point(merchant_b.merchant)
    theirs_account = make_account(merchant_b.merchant)
    theirs = _book(merchant_b.merchant, theirs_point, theirs_account)
    mine = {"point_id": point.pk, "account_id": account.pk, "weekdays": [1], "max_parcels": 5}
    answer = _post(api_client_a, mine | {"point_id": theirs_point.pk})
    assert answer.status_code == 422 and answer.json()["field"] == "point_id"
    answer = _post(api_client_a, mine | {"account_id": theirs_account.pk})
    assert answer.status_code == 422 and answer.json()["field"] == "account_id"
    url = f"/api/v1/capacity/pickups/{theirs.pk}"
    assert api_client_a.get(url).status_code == 404
    assert (
        api_client_a.put(url, data=json.dumps(mine), content_type="application/json").status_code
        == 404
    )
    assert api_client_a.delete(url).status_code == 404
    assert api_client_a.get("/api/v1/capacity/pickups").json() == []
    assert api_client_a.get(f"/api/v1/capacity?point={theirs_point.pk}").status_code == 404
    assert CourierPickup.objects.filter(pk=theirs.pk).exists()


def test_api_outlook_has_the_14_days_of_each_point(api_client_a, merchant_a, point, account):
    _book(merchant_a.merchant, point, account, weekdays=[0, 1, 2, 3, 4, 5, 6], max_parcels=25)
    answer = api_client_a.get(f"/api/v1/capacity?point={point.pk}")
    assert answer.status_code == 200, answer.content
    data = answer.json()
    (only,) = data["points"]
    assert only["point_id"] == point.pk and len(only["days"]) == 14
    assert all(d["pickup_parcels"] == 25 and d["capacity"] == 25 for d in only["days"])
    assert data["pace_basis"] == "setting"
    for bad in ("abc", "-1", "0", "99999999999999999999999"):
        assert api_client_a.get(f"/api/v1/capacity?point={bad}").status_code == 422


# --- pages -----------------------------------------------------------------------------------


def test_the_page_books_a_pick_up_and_shows_form_errors(merchant_a, point, account):
    client = signed_in_client(merchant_a)
    url = reverse("capacity")
    bad = client.post(url, {"point": point.pk, "account": account.pk, "max_parcels": "-3"})
    assert bad.status_code == 200
    assert "Ensure this value is greater than or equal to 1" in bad.content.decode()
    none = client.post(url, {"point": point.pk, "account": account.pk, "max_parcels": "30"})
    assert "Choose the weekdays of the pick-up, or its dates." in none.content.decode()
    ok = client.post(url, {"point": point.pk, "account": account.pk, "max_parcels": "30",
                           "weekdays": ["5"], "is_active": "on"})  # fmt: skip
    assert ok.status_code == 302
    pickup = CourierPickup.objects.get()
    assert (pickup.weekdays, pickup.max_parcels, pickup.is_active) == ([5], 30, True)
    page = client.get(ok["Location"]).content.decode()
    assert "DHL Express" in page and "Sat" in page


def test_the_page_refuses_another_shops_point_or_pick_up(merchant_a, merchant_b, point, account):
    client = signed_in_client(merchant_a)
    theirs_point = make_point(merchant_b.merchant, name="Their secret hub")
    theirs = _book(merchant_b.merchant, theirs_point, make_account(merchant_b.merchant))
    answer = client.post(reverse("capacity"), {"point": theirs_point.pk, "account": account.pk,
                                               "max_parcels": "30", "weekdays": ["1"]})  # fmt: skip
    assert "Select a valid choice" in answer.content.decode()
    assert client.get(reverse("capacity_pickup_edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("capacity_pickup_delete", args=[theirs.pk])).status_code == 404
    page = client.get(reverse("capacity") + f"?point={theirs_point.pk}").content.decode()
    assert "Their secret hub" not in page and "Lincoln Park" in page
    assert CourierPickup.objects.filter(pk=theirs.pk).exists()


def test_editing_and_removing_a_pick_up(merchant_a, point, account):
    client = signed_in_client(merchant_a)
    pickup = _book(merchant_a.merchant, point, account)
    url = reverse("capacity_pickup_edit", args=[pickup.pk])
    assert 'value="40"' in client.get(url).content.decode()
    saved = client.post(url, {"point": point.pk, "account": account.pk, "max_parcels": "55",
                              "weekdays": ["2"], "dates": "2026-12-24"})  # fmt: skip
    assert saved.status_code == 302
    pickup.refresh_from_db()
    assert (pickup.weekdays, pickup.dates, pickup.max_parcels) == ([2], ["2026-12-24"], 55)
    assert pickup.is_active is False  # the box was left unticked: paused
    client.post(reverse("capacity_pickup_delete", args=[pickup.pk]))
    assert not CourierPickup.objects.exists()
