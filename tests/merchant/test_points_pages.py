"""Storage-point pages through the Django test client, as a signed-in merchant uses them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from merchant.models import DemandRecord, StoragePoint
from merchant.services.geocoding import distance_m
from merchant.services.stock import receive_stock
from tests.factories.merchant import CHICAGO, make_point, make_product
from tests.support.helpers import point_form_data

pytestmark = pytest.mark.django_db


def test_creating_a_point_through_the_form_geocodes_it_and_lists_it(client_a, merchant_a):
    response = client_a.post(reverse("point_create"), point_form_data())
    point = StoragePoint.objects.for_merchant(merchant_a.merchant).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("point_detail", args=[point.pk])
    assert point.is_active
    assert distance_m(point.location, CHICAGO["60614"]) < 2000
    assert point.monthly_cost == 125050 and point.cost_per_order == 175
    assert point.opening_hours["mon"] == [["09:00", "18:00"]]
    assert point.opening_hours["sat"] == []

    listing = client_a.get(reverse("points")).content.decode()
    assert "Lincoln Park back room" in listing
    assert "$1,250.50" in listing
    assert "60614" in listing


def test_the_form_shows_a_day_named_error_and_saves_nothing(client_a, merchant_a):
    data = point_form_data(hours_wed_open="18:00", hours_wed_close="09:00")
    response = client_a.post(reverse("point_create"), data)
    assert response.status_code == 200
    assert "Wednesday: opening time 18:00 must be before closing time 09:00" in (
        response.content.decode()
    )
    assert not StoragePoint.objects.for_merchant(merchant_a.merchant).exists()


def test_a_day_without_times_or_closed_tick_is_an_error(client_a):
    data = point_form_data(hours_thu_open="", hours_thu_close="")
    response = client_a.post(reverse("point_create"), data)
    assert "Thursday: enter the opening and closing times, or tick Closed" in (
        response.content.decode()
    )


def test_a_malformed_zip_is_a_form_error_on_the_postal_code(client_a, merchant_a):
    response = client_a.post(reverse("point_create"), point_form_data(postal_code="6061"))
    assert response.status_code == 200
    assert response.context["form"].errors["postal_code"]
    assert not StoragePoint.objects.for_merchant(merchant_a.merchant).exists()


def test_an_unknown_zip_saves_the_point_inactive_and_the_list_says_why(client_a, merchant_a):
    response = client_a.post(
        reverse("point_create"), point_form_data(postal_code="99999"), follow=True
    )
    assert "but as inactive" in response.content.decode()
    listing = client_a.get(reverse("points")).content.decode()
    assert "Inactive" in listing and "99999" in listing


def test_a_duplicate_name_is_a_form_error(client_a, merchant_a):
    make_point(merchant_a.merchant, name="Lincoln Park back room")
    response = client_a.post(reverse("point_create"), point_form_data())
    assert "already have a storage point named" in response.context["form"].errors["name"][0]


def test_editing_keeps_the_hours_and_money_in_the_form(client_a, merchant_a):
    client_a.post(reverse("point_create"), point_form_data())
    point = StoragePoint.objects.for_merchant(merchant_a.merchant).get()
    page = client_a.get(reverse("point_edit", args=[point.pk])).content.decode()
    assert 'value="1250.50"' in page
    assert 'name="hours_mon_open" value="09:00"' in page

    response = client_a.post(
        reverse("point_edit", args=[point.pk]), point_form_data(name="Renamed", monthly_cost="99")
    )
    assert response.status_code == 302
    point.refresh_from_db()
    assert point.name == "Renamed" and point.monthly_cost == 9900


def test_the_list_has_an_empty_state(client_a):
    page = client_a.get(reverse("points")).content.decode()
    assert "No storage points yet" in page
    assert reverse("point_create") in page


def test_the_list_paginates(client_a, merchant_a):
    for n in range(30):
        make_point(merchant_a.merchant, name=f"Point {n:02d}")
    first = client_a.get(reverse("points")).content.decode()
    second = client_a.get(reverse("points") + "?page=2").content.decode()
    assert "Point 00" in first and "Point 29" not in first
    assert "Point 29" in second and "Page 2 of 2" in second


def test_the_detail_page_summarises_stock_at_the_point(client_a, merchant_a):
    merchant = merchant_a.merchant
    point = make_point(merchant)
    product = make_product(merchant, sku="TEA-1")
    receive_stock(merchant=merchant, product=product, point=point, quantity=7)
    page = client_a.get(reverse("point_detail", args=[point.pk])).content.decode()
    assert "TEA-1" in page
    assert "7 units on hand, 0 reserved, 7 available" in page


def test_deactivate_activate_and_delete_actions(client_a, merchant_a):
    merchant = merchant_a.merchant
    point = make_point(merchant)
    client_a.post(reverse("point_deactivate", args=[point.pk]), {"reason": "Flooded"})
    point.refresh_from_db()
    assert not point.is_active and point.inactive_reason == "Flooded"
    client_a.post(reverse("point_activate", args=[point.pk]))
    point.refresh_from_db()
    assert point.is_active

    receive_stock(merchant=merchant, product=make_product(merchant), point=point, quantity=1)
    refused = client_a.post(reverse("point_delete", args=[point.pk]), follow=True)
    assert "cannot be deleted: deactivate it instead" in refused.content.decode()
    assert StoragePoint.objects.filter(pk=point.pk).exists()

    empty = make_point(merchant)
    client_a.post(reverse("point_delete", args=[empty.pk]))
    assert not StoragePoint.objects.filter(pk=empty.pk).exists()


def test_another_merchants_point_answers_404(client_a, merchant_b):
    other = make_point(merchant_b.merchant)
    for name in ("point_detail", "point_edit"):
        assert client_a.get(reverse(name, args=[other.pk])).status_code == 404
    for name in ("point_deactivate", "point_activate", "point_delete"):
        assert client_a.post(reverse(name, args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.is_active


def test_the_map_page_embeds_points_and_recent_demand_as_json(client_a, merchant_a, merchant_b):
    merchant = merchant_a.merchant
    make_point(merchant, name="Active", postal_code="60614")
    make_point(merchant, name="Candidate", postal_code="60622", role="candidate")
    make_point(merchant_b.merchant, name="Not mine")
    today = timezone.localdate()
    for days_ago, units in ((1, 3), (1, 2), (200, 50)):
        DemandRecord.objects.create(
            merchant=merchant,
            ordered_on=today - timedelta(days=days_ago),
            postal_code="60601",
            latitude=CHICAGO["60601"][0],
            longitude=CHICAGO["60601"][1],
            units=units,
        )
    response = client_a.get(reverse("points_map"))
    data = response.context["map_data"]
    assert {p["name"]: p["state"] for p in data["points"]} == {
        "Active": "active",
        "Candidate": "candidate",
    }
    assert data["demand"] == [[CHICAGO["60601"][0], CHICAGO["60601"][1], 5]]
    assert data["tiles"]["url"] == ""
    page = response.content.decode()
    embedded = page.split('id="points-map-data" type="application/json">')[1].split("</script>")[0]
    assert json.loads(embedded)["demand"] == data["demand"]
    assert "leaflet-heat.js" in page and "tile.openstreetmap" not in page


def test_the_map_page_has_an_empty_state(client_a):
    page = client_a.get(reverse("points_map")).content.decode()
    assert "Nothing to map yet" in page
