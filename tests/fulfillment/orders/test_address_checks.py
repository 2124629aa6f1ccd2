"""Address checks before dispatch: one test per rule, and fixing or overriding a problem."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from fulfillment.models import Order
from fulfillment.orders.services.addresses import (
    AddressNeedsAttention,
    assert_can_ship,
    fix_address,
    is_po_box,
    override_address,
)
from fulfillment.orders.services.orders import create_order
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import order_data, stock

# 60614's centre is about (41.92, -87.65); Milwaukee is about 130 km north.
MILWAUKEE = {"latitude": 43.0389, "longitude": -87.9065}


@pytest.fixture
def merchant(merchant_a):
    merchant = merchant_a.merchant
    point = make_point(merchant, postal_code="60614", same_day_cutoff=dt.time.max)
    product = make_product(merchant, sku="MUG")
    stock(merchant, point, product, 100)
    return merchant


def place(merchant, **overrides) -> Order:
    order, _ = create_order(merchant=merchant, data=order_data(("MUG", 1), **overrides))
    return order


def codes(order: Order) -> list[str]:
    return [p["code"] for p in order.address_problems]


@pytest.mark.django_db
def test_a_good_address_has_no_problem_and_can_ship(merchant):
    order = place(merchant)

    assert (order.address_status, order.address_problems, order.can_ship) == ("ok", [], True)
    assert order.normalized_city == "Chicago" and order.normalized_state == "IL"
    assert order.normalized_address == "2001 N CLARK ST, CHICAGO, IL 60614, US"
    assert order.coordinates_source == "geocoder:offline"
    assert_can_ship(order=order)


@pytest.mark.django_db
def test_a_postal_code_that_does_not_exist_is_refused(merchant):
    with pytest.raises(ValidationError) as refused:
        place(merchant, destination={"postal_code": "00001"})

    assert "destination.postal_code" in refused.value.message_dict
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_an_unknown_postal_code_with_shop_coordinates_is_flagged_not_refused(merchant):
    order = place(
        merchant, destination={"postal_code": "00001", "latitude": 41.92, "longitude": -87.65}
    )

    assert codes(order) == ["postal_code_unknown"]
    assert order.address_problems[0]["field"] == "destination.postal_code"
    assert order.coordinates_source == "shop" and order.status == "allocated"


@pytest.mark.django_db
def test_a_city_that_does_not_match_the_postal_code_is_flagged(merchant):
    order = place(merchant, destination={"city": "Evanston"})

    assert codes(order) == ["postal_code_city_mismatch"]
    assert order.address_problems[0]["field"] == "destination.city"
    assert "Chicago" in order.address_problems[0]["message"]
    assert order.address_status == "problem" and not order.can_ship


@pytest.mark.django_db
def test_an_acceptable_city_name_for_the_postal_code_is_not_a_problem(merchant):
    # The gazetteer accepts "Oak Park" and "River Forest" style alternatives per ZIP;
    # 60614 has none, so this checks case and punctuation only.
    order = place(merchant, destination={"city": "  CHICAGO. "})

    assert codes(order) == []


@pytest.mark.django_db
def test_a_state_that_does_not_match_the_postal_code_is_flagged(merchant):
    order = place(merchant, destination={"state": "WI"})

    assert codes(order) == ["postal_code_state_mismatch"]


@pytest.mark.django_db
def test_shop_coordinates_far_from_the_postal_code_are_flagged(merchant):
    order = place(merchant, destination=MILWAUKEE)

    assert codes(order) == ["too_far_from_postal_code"]
    # Routed to the ZIP centre rather than to a pin that is likely wrong.
    assert order.coordinates_source == "geocoder:offline"


@pytest.mark.django_db
def test_shop_coordinates_near_the_postal_code_are_used(merchant):
    order = place(merchant, destination={"latitude": 41.925, "longitude": -87.64})

    assert codes(order) == [] and order.coordinates_source == "shop"
    assert (order.latitude, order.longitude) == (41.925, -87.64)


@pytest.mark.django_db
def test_an_empty_street_line_is_flagged_for_home_delivery(merchant):
    order = place(merchant, destination={"line1": "   "})

    assert codes(order) == ["street_missing"]
    assert order.address_problems[0]["field"] == "destination.line1"


@pytest.mark.django_db
@pytest.mark.parametrize("level", ["same_day", "next_day"])
def test_a_po_box_is_flagged_for_fast_home_delivery(merchant, level):
    order = place(
        merchant,
        destination={"line1": "P.O. Box 123"},
        delivery={"service_level": level},
    )

    assert codes(order) == ["po_box_not_deliverable"]


@pytest.mark.django_db
def test_a_po_box_is_fine_for_economy(merchant):
    order = place(
        merchant, destination={"line1": "PO Box 123"}, delivery={"service_level": "economy"}
    )

    assert codes(order) == []


def test_po_boxes_are_recognised_in_their_usual_spellings():
    for line in ("PO Box 1", "P.O. Box 22", "p o box 3", "POB 7", "Post Office Box 9", "Box 12"):
        assert is_po_box(line), line
    for line in ("12 Boxwood Ln", "1 Post Office Sq", "Pobox Street 4"):
        assert not is_po_box(line), line


@pytest.mark.django_db
def test_a_missing_phone_is_flagged_for_same_day(merchant):
    order = place(merchant, shopper={"phone": ""}, delivery={"service_level": "same_day"})

    assert codes(order) == ["phone_missing_for_same_day"]
    assert order.address_problems[0]["field"] == "shopper.phone"


@pytest.mark.django_db
def test_a_missing_phone_is_fine_for_next_day(merchant):
    assert codes(place(merchant, shopper={"phone": ""})) == []


@pytest.mark.django_db
def test_a_problem_blocks_the_label_until_staff_override_it(merchant_a, merchant):
    order = place(merchant, destination={"city": "Evanston"})
    with pytest.raises(AddressNeedsAttention):
        assert_can_ship(order=order)
    with pytest.raises(ValidationError):
        override_address(order=order, user=merchant_a.owner, note="  ")

    order = override_address(order=order, user=merchant_a.owner, note="Shopper confirmed")

    assert order.address_status == "overridden" and order.can_ship
    assert_can_ship(order=order)
    event = order.events.order_by("pk").last()
    assert event.note == "Address overridden: Shopper confirmed" and event.by == merchant_a.owner


@pytest.mark.django_db
def test_fixing_the_address_checks_it_again(merchant):
    order = place(merchant, destination={"city": "Evanston", "line1": ""})
    assert codes(order) == ["postal_code_city_mismatch", "street_missing"]

    order = fix_address(order=order, city="Chicago")
    assert codes(order) == ["street_missing"] and order.address_status == "problem"

    order = fix_address(order=order, line1="2001 N Clark St")
    assert codes(order) == [] and order.address_status == "ok" and order.can_ship


@pytest.mark.django_db
def test_a_fix_to_a_postal_code_that_does_not_exist_changes_nothing(merchant):
    order = place(merchant)

    with pytest.raises(ValidationError) as refused:
        fix_address(order=order, postal_code="00001")

    assert "postal_code" in refused.value.message_dict
    order.refresh_from_db()
    assert order.postal_code == "60614" and order.address_status == "ok"
