"""The box chosen by fit, its empty weight in the parcel rated, booked and printed, and a
scale reading that replaces the computed weight."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from fulfillment.boxes.services.packing import Item, box_for_order, choose_box, holds
from fulfillment.couriers.adapters.types import Parcel
from fulfillment.labels.services.labels import label_data_for
from fulfillment.labels.services.packing_slips import packing_slip_data
from fulfillment.models import BoxPreset, PointBox, ProductBox, Shipment
from fulfillment.shipments.services.booking import (
    book_shipment,
    rates_for_order,
    request_shipment,
)
from tests.factories.couriers import make_account, make_service
from tests.factories.orders import make_order


def box(name: str, l: int, w: int, h: int, empty: int = 100, *, pk: int = 0, **fields):  # noqa: E741
    made = BoxPreset(
        name=name,
        inner_length_mm=l,
        inner_width_mm=w,
        inner_height_mm=h,
        empty_weight_g=empty,
        **fields,
    )
    made.pk = pk or abs(hash(name)) % 10_000
    return made


def items(*sizes: tuple[int, int, int, int], weight: int = 200) -> list[Item]:
    return [Item(n, weight, *size) for n, size in enumerate(sizes, start=1)]


SMALL = box("Small", 220, 160, 60, 80)
MEDIUM = box("Medium", 300, 250, 150, 150)
LARGE = box("Large", 600, 400, 400, 400)


def test_the_smallest_box_that_holds_the_items_is_chosen_whatever_the_order_of_boxes():
    chosen = choose_box(
        items=items((200, 150, 100, 1)),
        boxes=[LARGE, SMALL, MEDIUM],
        product_defaults={},
        point_default=None,
    )
    assert chosen.box is MEDIUM  # Small is only 60 mm deep
    assert chosen.parcel == Parcel(weight_g=200 + 150, length_mm=300, width_mm=250, height_mm=150)


def test_items_turn_to_fit_a_box():
    block = Parcel(weight_g=100, length_mm=50, width_mm=210, height_mm=150)
    assert holds(SMALL, block)  # 210 × 150 × 50 fits 220 × 160 × 60 turned on its side
    assert not holds(SMALL, Parcel(100, 221, 10, 10))


def test_a_box_that_would_be_too_heavy_is_passed_over():
    capped = box("Capped", 300, 250, 150, 100, max_weight_g=1000)
    chosen = choose_box(
        items=items((100, 100, 50, 5), weight=200),  # 1000 g of items + 100 g box
        boxes=[capped, LARGE],
        product_defaults={},
        point_default=None,
    )
    assert chosen.box is LARGE


def test_the_products_own_box_wins_when_they_fit_and_the_points_box_next():
    things = items((100, 100, 50, 1))
    chosen = choose_box(
        items=things,
        boxes=[SMALL, MEDIUM, LARGE],
        product_defaults={1: LARGE},
        point_default=MEDIUM,
    )
    assert chosen.box is LARGE and "products' own box" in chosen.why
    chosen = choose_box(
        items=things, boxes=[SMALL, MEDIUM, LARGE], product_defaults={}, point_default=MEDIUM
    )
    assert chosen.box is MEDIUM and "point's box" in chosen.why


def test_a_default_that_is_too_small_falls_back_to_fit_and_says_so():
    chosen = choose_box(
        items=items((280, 200, 120, 1)),
        boxes=[SMALL, MEDIUM, LARGE],
        product_defaults={1: SMALL},
        point_default=None,
    )
    assert chosen.box is MEDIUM
    assert "Small is too small" in chosen.why


def test_nothing_fits_or_no_boxes_ships_the_items_as_they_are():
    huge = items((900, 900, 900, 1))
    chosen = choose_box(items=huge, boxes=[SMALL], product_defaults={}, point_default=None)
    assert chosen.box is None and chosen.parcel.length_mm == 900
    assert "No saved box holds" in chosen.why
    chosen = choose_box(items=huge, boxes=[], product_defaults={}, point_default=None)
    assert chosen.box is None and "No boxes saved" in chosen.why


@pytest.mark.django_db
def test_an_order_rates_books_and_prints_with_its_box_and_the_scale_reading(merchant_a):
    merchant = merchant_a.merchant
    service = make_service(make_account(merchant), per_kg_minor=100)
    order = make_order(merchant)  # one product: 500 g, 200 × 150 × 100 mm
    line = order.lines.get()
    big = BoxPreset.objects.create(
        merchant=merchant, name="Big", inner_length_mm=600, inner_width_mm=400,
        inner_height_mm=400, empty_weight_g=2600,
    )  # fmt: skip
    BoxPreset.objects.create(
        merchant=merchant, name="Old", inner_length_mm=210, inner_width_mm=160,
        inner_height_mm=110, is_active=False,
    )  # fmt: skip
    snug = BoxPreset.objects.create(
        merchant=merchant, name="Snug", inner_length_mm=210, inner_width_mm=160,
        inner_height_mm=110, empty_weight_g=120,
    )  # fmt: skip

    choice = box_for_order(order)
    assert choice.box == snug and choice.parcel.weight_g == 620
    ProductBox.objects.create(merchant=merchant, product=line.product, box=big)
    choice = box_for_order(order)
    assert choice.box == big and choice.parcel.weight_g == 3100
    # The box moves the price: a big heavy carton bills more than the snug one.
    by_box = rates_for_order(merchant=merchant, order=order, live=False)
    by_snug = rates_for_order(
        merchant=merchant, order=order, live=False, packing=box_for_order(order, box=snug)
    )
    price = {r.service_id: r.price_minor for r in by_box.options}[service.pk]
    assert price > {r.service_id: r.price_minor for r in by_snug.options}[service.pk]

    shipment = request_shipment(merchant=merchant, order=order, box=snug, measured_weight_g=1089)
    assert (shipment.box, shipment.measured_weight_g, shipment.weight_g) == (snug, 1089, 1089)
    shipment = book_shipment(shipment_id=shipment.pk)
    assert shipment.tracking_number and shipment.weight_g == 1089
    assert label_data_for(shipment).weight_text == "2 lb 6.4 oz"  # a US shop: pounds
    merchant.unit_system = "metric"
    merchant.save()
    shipment.refresh_from_db()
    assert label_data_for(shipment).weight_text == "1.089 kg"


@pytest.mark.django_db
def test_the_points_box_and_a_foreign_or_retired_box_is_refused(merchant_a, merchant_b):
    merchant = merchant_a.merchant
    make_service(make_account(merchant))
    order = make_order(merchant)
    point = order.allocations.get().point
    mine = BoxPreset.objects.create(
        merchant=merchant, name="Point box", inner_length_mm=500, inner_width_mm=500,
        inner_height_mm=500,
    )  # fmt: skip
    PointBox.objects.create(merchant=merchant, point=point, box=mine)
    assert box_for_order(order).box == mine

    theirs = BoxPreset.objects.create(
        merchant=merchant_b.merchant, name="B", inner_length_mm=500, inner_width_mm=500,
        inner_height_mm=500,
    )  # fmt: skip
    with pytest.raises(ValidationError, match="one of your active boxes"):
        request_shipment(merchant=merchant, order=order, box=theirs)
    with pytest.raises(ValidationError, match="between 1 g and a tonne"):
        request_shipment(merchant=merchant, order=order, measured_weight_g=10**9)
    assert not order.allocations.filter(state="picked").exists()  # nothing moved


@pytest.mark.django_db
def test_the_ship_api_takes_a_box_and_a_scale_reading_and_names_a_bad_one(
    merchant_a, merchant_b, api_client_a
):
    merchant = merchant_a.merchant
    make_service(make_account(merchant))
    order = make_order(merchant)
    mine = BoxPreset.objects.create(
        merchant=merchant, name="Mine", inner_length_mm=300, inner_width_mm=300,
        inner_height_mm=300, empty_weight_g=200,
    )  # fmt: skip
    theirs = BoxPreset.objects.create(
        merchant=merchant_b.merchant, name="Theirs", inner_length_mm=300, inner_width_mm=300,
        inner_height_mm=300,
    )  # fmt: skip
    url = "/api/v1/couriers/shipments"
    cases = [
        ({"box_id": theirs.pk}, "box_id"),
        ({"scale_reading": "two pounds"}, "scale_reading"),
        ({"scale_reading": "1\x00 lb"}, "scale_reading"),
        ({"scale_reading": "9" * 61}, "scale_reading"),
    ]
    for extra, field in cases:
        response = api_client_a.post(
            url, {"order_id": order.pk, **extra}, content_type="application/json"
        )
        assert response.status_code == 422, extra
        assert field in response.content.decode()
    assert not order.allocations.filter(state="picked").exists()

    response = api_client_a.post(
        url,
        {"order_id": order.pk, "box_id": mine.pk, "scale_reading": "3"},  # lb: a US shop
        content_type="application/json",
    )
    assert response.status_code == 202
    shipment = Shipment.objects.get(pk=response.json()["shipment_id"])
    assert (shipment.box, shipment.measured_weight_g, shipment.weight_g) == (mine, 1361, 1361)


@pytest.mark.django_db
def test_choosing_a_box_costs_a_fixed_few_queries_per_order(merchant_a, django_assert_num_queries):
    merchant = merchant_a.merchant
    order = make_order(merchant, quantity=3)
    with django_assert_num_queries(2):  # the lines, and no boxes saved: done
        assert box_for_order(order).box is None
    BoxPreset.objects.bulk_create(
        BoxPreset(
            merchant=merchant,
            name=f"Box {n}",
            inner_length_mm=100 * n,
            inner_width_mm=100 * n,
            inner_height_mm=100 * n,
        )
        for n in range(1, 30)
    )
    with django_assert_num_queries(5):  # lines, boxes, product defaults, point, point default
        assert box_for_order(order).box.name == "Box 3"


@pytest.mark.django_db
def test_the_packing_slip_names_the_box_to_pack_into_and_the_weight_in_the_shops_units(
    merchant_a,
):
    merchant = merchant_a.merchant
    order = make_order(merchant, quantity=2)  # 2 × 500 g
    BoxPreset.objects.create(
        merchant=merchant, name="Cube", inner_length_mm=300, inner_width_mm=300,
        inner_height_mm=300, empty_weight_g=134,
    )  # fmt: skip
    extra = packing_slip_data(order).extra
    assert extra == {"Box": "Cube (11.8 × 11.8 × 11.8 in)", "Weight": "2 lb 8 oz"}
