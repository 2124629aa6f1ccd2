"""The storage-points service: geocoding, validation, activation and deletion rules."""

from __future__ import annotations

from datetime import time

import pytest
from django.core.exceptions import ValidationError

from merchant.models import StoragePoint
from merchant.services.geocoding import distance_m
from merchant.services.points import (
    PointInUse,
    activate_point,
    create_point,
    deactivate_point,
    delete_point,
    update_point,
)
from merchant.services.stock import receive_stock
from merchant.services.transfers import create_transfer
from tests.factories.merchant import CHICAGO, make_point, make_product

pytestmark = pytest.mark.django_db

ADDRESS = {"address_line": "2430 N Cannon Dr", "city": "Chicago", "postal_code": "60614"}


def new_point(merchant, **fields):
    return create_point(merchant=merchant, **{"name": "Lincoln Park", **ADDRESS, **fields})


def test_new_point_is_geocoded_from_its_zip_and_active(merchant_a):
    point = new_point(
        merchant_a.merchant,
        monthly_cost=125000,
        same_day_cutoff="14:30",
        opening_hours={
            "tue": [["09:00", "18:00"]],
            "mon": [["12:00", "14:00"], ["08:00", "11:00"]],
        },
    )
    point.refresh_from_db()
    assert point.is_active and point.inactive_reason == ""
    assert distance_m(point.location, CHICAGO["60614"]) < 2000
    assert point.state == "IL"
    assert point.monthly_cost == 125000
    assert point.same_day_cutoff == time(14, 30)
    assert list(point.opening_hours) == ["mon", "tue"]
    assert point.opening_hours["mon"] == [["08:00", "11:00"], ["12:00", "14:00"]]


def test_unknown_zip_saves_the_point_inactive_with_the_reason_naming_the_field(merchant_a):
    point = new_point(merchant_a.merchant, postal_code="99999")
    point.refresh_from_db()
    assert not point.is_active
    assert point.location is None
    assert "postal code" in point.inactive_reason
    assert "99999" in point.inactive_reason


def test_malformed_zip_is_refused_and_nothing_is_saved(merchant_a):
    with pytest.raises(ValidationError) as caught:
        new_point(merchant_a.merchant, postal_code="ABC12")
    assert "postal_code" in caught.value.message_dict
    assert not StoragePoint.objects.for_merchant(merchant_a.merchant).exists()


def test_fixing_the_zip_of_a_point_that_failed_geocoding_makes_it_active(merchant_a):
    point = new_point(merchant_a.merchant, postal_code="99999")
    point = update_point(point=point, postal_code="60616")
    assert point.is_active and point.inactive_reason == ""
    assert distance_m(point.location, CHICAGO["60616"]) < 2000


def test_changing_to_an_unknown_zip_deactivates_and_clears_coordinates(merchant_a):
    point = new_point(merchant_a.merchant)
    point = update_point(point=point, postal_code="99999")
    assert not point.is_active and point.location is None
    assert "99999" in point.inactive_reason


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        ({"wed": [["18:00", "09:00"]]}, "Wednesday: opening time 18:00 must be before"),
        ({"fri": [["9am", "17:00"]]}, "Friday: “9am” is not a time"),
        ({"sat": [["09:00", "13:00"], ["12:00", "16:00"]]}, "Saturday: 09:00–13:00 and 12:00"),
        ({"sun": "closed"}, "Sunday: give a list"),
        ({"monday": []}, "“monday” is not a weekday"),
    ],
)
def test_opening_hours_errors_name_the_day(merchant_a, hours, expected):
    with pytest.raises(ValidationError) as caught:
        new_point(merchant_a.merchant, opening_hours=hours)
    messages = caught.value.message_dict["opening_hours"]
    assert any(message.startswith(expected) for message in messages), messages
    assert not StoragePoint.objects.for_merchant(merchant_a.merchant).exists()


def test_duplicate_name_is_a_clear_error_not_an_integrity_error(merchant_a):
    new_point(merchant_a.merchant)
    with pytest.raises(ValidationError) as caught:
        new_point(merchant_a.merchant, name="lincoln park")
    assert "already have a storage point named" in caught.value.message_dict["name"][0]


def test_the_same_name_is_free_for_another_merchant(merchant_a, merchant_b):
    new_point(merchant_a.merchant)
    assert new_point(merchant_b.merchant).pk


def test_renaming_to_a_taken_name_is_refused(merchant_a):
    make_point(merchant_a.merchant, name="North")
    south = make_point(merchant_a.merchant, name="South")
    with pytest.raises(ValidationError) as caught:
        update_point(point=south, name="North")
    assert "name" in caught.value.message_dict
    south.refresh_from_db()
    assert south.name == "South"


def test_negative_money_and_bad_fields_name_each_field(merchant_a):
    with pytest.raises(ValidationError) as caught:
        new_point(merchant_a.merchant, monthly_cost=-1, kind="castle", capacity_units=0)
    assert set(caught.value.message_dict) == {"monthly_cost", "kind", "capacity_units"}


def test_activating_a_point_without_coordinates_is_refused(merchant_a):
    point = new_point(merchant_a.merchant, postal_code="99999")
    with pytest.raises(ValidationError) as caught:
        activate_point(point=point)
    assert "no coordinates" in caught.value.message_dict["is_active"][0]
    point.refresh_from_db()
    assert not point.is_active


def test_deactivate_and_activate_a_located_point(merchant_a):
    point = new_point(merchant_a.merchant)
    point = deactivate_point(point=point, reason="Closed for renovation")
    assert not point.is_active and point.inactive_reason == "Closed for renovation"
    # A point deactivated by hand stays inactive when its address is edited.
    point = update_point(point=point, postal_code="60622")
    assert not point.is_active
    point = activate_point(point=point)
    assert point.is_active and point.inactive_reason == ""


def test_a_point_with_stock_on_hand_cannot_be_deleted(merchant_a):
    merchant = merchant_a.merchant
    point = make_point(merchant)
    receive_stock(merchant=merchant, product=make_product(merchant), point=point, quantity=3)
    with pytest.raises(PointInUse, match="holds 3 units"):
        delete_point(point=point)
    assert StoragePoint.objects.filter(pk=point.pk).exists()


def test_a_point_with_transfer_history_cannot_be_deleted(merchant_a):
    merchant = merchant_a.merchant
    source, target, product = make_point(merchant), make_point(merchant), make_product(merchant)
    receive_stock(merchant=merchant, product=product, point=source, quantity=3)
    create_transfer(merchant=merchant, from_point=source, to_point=target, lines=[(product, 1)])
    with pytest.raises(PointInUse, match="stock history"):
        delete_point(point=target)


def test_a_point_that_never_held_stock_is_deleted(merchant_a):
    point = make_point(merchant_a.merchant)
    delete_point(point=point)
    assert not StoragePoint.objects.filter(pk=point.pk).exists()
