"""Settings → Boxes and the order page's box and scale reading, as a shop owner uses them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fulfillment.models import BoxPreset, PointBox, ProductBox, Shipment
from tests.factories.couriers import make_account, make_service
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import make_order

GOOD = {
    "name": "Small mailer",
    "length": "12 in",
    "width": "9 in",
    "height": "4 in",
    "empty_weight": "6 oz",
    "max_weight": "20 lb",
    "skus": "",
}


@pytest.mark.django_db
def test_a_box_typed_in_inches_and_ounces_is_stored_in_mm_and_grams(merchant_a, client_a):
    assert merchant_a.merchant.unit_system == "imperial"  # a USD shop reads pounds
    point = make_point(merchant_a.merchant)
    product = make_product(merchant_a.merchant, sku="TEA-1")
    data = {**GOOD, "points": [point.pk], "skus": "TEA-1"}
    response = client_a.post(reverse("boxes"), data)
    assert response.status_code == 302
    box = BoxPreset.objects.get(merchant=merchant_a.merchant)
    assert (box.inner_length_mm, box.inner_width_mm, box.inner_height_mm) == (305, 229, 102)
    assert (box.empty_weight_g, box.max_weight_g) == (170, 9072)
    assert PointBox.objects.get(point=point).box == box
    assert ProductBox.objects.get(product=product).box == box

    page = client_a.get(reverse("boxes")).content.decode()
    assert "Small mailer" in page and "12 × 9 × 4 in" in page and "6 oz" in page
    edit = client_a.get(reverse("box_edit", args=[box.pk])).content.decode()
    assert 'value="12.01 in"' in edit and "TEA-1" in edit  # precise: reads back to 305 mm


@pytest.mark.django_db
def test_garbage_is_a_form_error_and_nothing_is_saved(merchant_a, client_a):
    bad = {
        **GOOD,
        "name": "<script>alert(1)</script>",
        "length": "twelve",
        "width": "\x00",
        "height": "9000 cm",
        "empty_weight": "1 lb 6",
        "max_weight": "1 oz",
        "skus": "NOPE-1",
    }
    response = client_a.post(reverse("boxes"), bad)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "is not a length" in errors["length"][0]
    assert "at most 3 m" in errors["height"][0]
    assert "Give each number its unit" in errors["empty_weight"][0]
    assert "No product with SKU NOPE-1" in errors["skus"][0]
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert not BoxPreset.objects.exists()

    client_a.post(reverse("boxes"), GOOD)
    again = client_a.post(reverse("boxes"), GOOD)
    assert "already have an active box" in again.content.decode()
    light = client_a.post(reverse("boxes"), {**GOOD, "name": "Other", "max_weight": "2 oz"})
    assert "more than the empty box" in light.content.decode()
    assert BoxPreset.objects.count() == 1


@pytest.mark.django_db
def test_deactivating_a_box_is_an_htmx_fragment_and_a_plain_post_too(merchant_a, client_a):
    client_a.post(reverse("boxes"), GOOD)
    box = BoxPreset.objects.get()
    url = reverse("box_active", args=[box.pk])
    fragment = client_a.post(url, {"active": "0"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert body.lstrip().startswith('<div id="box-table">') and "<html" not in body
    assert "No boxes yet" in body
    box.refresh_from_db()
    assert not box.is_active
    shown = client_a.get(reverse("boxes") + "?inactive=1", headers={"HX-Request": "true"})
    assert "Deactivated" in shown.content.decode()

    client_a.post(reverse("boxes"), GOOD)  # the name is free again while the old one rests
    response = client_a.post(url, {"active": "1"}, follow=True)
    assert "rename one first" in response.content.decode()
    box.refresh_from_db()
    assert not box.is_active


@pytest.mark.sqlite  # make run's database
@pytest.mark.django_db
def test_the_order_page_ships_with_a_chosen_box_and_a_pasted_scale_reading(merchant_a, client_a):
    merchant = merchant_a.merchant
    make_service(make_account(merchant))
    order = make_order(merchant)
    client_a.post(reverse("boxes"), GOOD)
    box = BoxPreset.objects.get()

    rates = client_a.get(reverse("order_rates", args=[order.pk])).content.decode()
    assert "Smallest box that holds the items: Small mailer." in rates
    assert 'name="scale_reading"' in rates and "e.g. 2 lb 6 oz" in rates

    ship = reverse("order_ship", args=[order.pk])
    refused = client_a.post(ship, {"option_id": "rule", "scale_reading": "heavy"}, follow=True)
    assert "is not a weight" in refused.content.decode()
    assert not Shipment.objects.filter(order=order).exists()

    response = client_a.post(
        ship, {"option_id": "rule", "box": box.pk, "scale_reading": " 2 lb 6 oz "}
    )
    assert response.status_code == 302
    shipment = Shipment.objects.get(order=order)
    assert (shipment.box, shipment.measured_weight_g, shipment.weight_g) == (box, 1077, 1077)
    page = client_a.get(reverse("shipment_detail", args=[shipment.pk])).content.decode()
    assert "2 lb 6 oz (scale reading)" in page and "Small mailer" in page


@pytest.mark.django_db
def test_the_settings_page_switches_units_and_product_pages_follow(merchant_a, client_a):
    product = make_product(merchant_a.merchant, weight_g=1089, length_mm=300)
    detail = reverse("product_detail", args=[product.pk])
    assert "2 lb 6.4 oz" in client_a.get(detail).content.decode()
    form = client_a.get(reverse("settings_merchant")).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "logo"}
    response = client_a.post(reverse("settings_merchant"), {**data, "unit_system": "metric"})
    assert response.status_code == 302
    page = client_a.get(detail).content.decode()
    assert "1.089 kg" in page and "30 × 15 × 10 cm" in page
    edit = client_a.post(
        reverse("product_edit", args=[product.pk]),
        {"sku": product.sku, "name": "Tea", "weight_g": "1 lb", "length_mm": "12 in",
         "width_mm": "150", "height_mm": "10 cm", "value": 0},
    )  # fmt: skip
    assert edit.status_code == 302
    product.refresh_from_db()
    assert (product.weight_g, product.length_mm, product.width_mm, product.height_mm) == (
        454, 305, 150, 100,
    )  # fmt: skip
