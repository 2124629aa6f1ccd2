"""Products: the service rules (unique SKU, positive whole numbers) and the pages."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from merchant.models import Product, StockLevel, StockMovement
from merchant.services import products, stock
from tests.factories.merchant import make_point, make_product

pytestmark = pytest.mark.django_db

GOOD = dict(sku="TEA-1", name="Sencha", weight_g=120, length_mm=80, width_mm=60, height_mm=40)


def test_product_is_created_with_its_units(merchant_a):
    product = products.create_product(merchant=merchant_a.merchant, value=1250, **GOOD)
    assert (product.sku, product.weight_g, product.value) == ("TEA-1", 120, 1250)


def test_second_product_with_the_same_sku_is_refused_on_the_sku_field(merchant_a):
    products.create_product(merchant=merchant_a.merchant, **GOOD)
    with pytest.raises(ValidationError) as exc:
        products.create_product(merchant=merchant_a.merchant, **{**GOOD, "name": "Other"})
    assert list(exc.value.message_dict) == ["sku"]
    assert Product.objects.for_merchant(merchant_a.merchant).count() == 1


def test_the_same_sku_is_fine_for_another_merchant(merchant_a, merchant_b):
    products.create_product(merchant=merchant_a.merchant, **GOOD)
    assert products.create_product(merchant=merchant_b.merchant, **GOOD).pk


@pytest.mark.parametrize("field", ["weight_g", "length_mm", "width_mm", "height_mm"])
@pytest.mark.parametrize("bad", [0, -5, 2.5, "10"])
def test_a_size_that_is_not_a_positive_whole_number_names_its_field(merchant_a, field, bad):
    with pytest.raises(ValidationError) as exc:
        products.create_product(merchant=merchant_a.merchant, **{**GOOD, field: bad})
    assert field in exc.value.message_dict
    assert not Product.objects.exists()


def test_negative_value_is_refused_on_the_value_field(merchant_a):
    with pytest.raises(ValidationError) as exc:
        products.create_product(merchant=merchant_a.merchant, value=-1, **GOOD)
    assert list(exc.value.message_dict) == ["value"]


def test_update_refuses_a_sku_taken_by_another_product(merchant_a):
    make_product(merchant_a.merchant, sku="A")
    other = make_product(merchant_a.merchant, sku="B")
    with pytest.raises(ValidationError) as exc:
        products.update_product(product=other, sku="A")
    assert "sku" in exc.value.message_dict
    other.refresh_from_db()
    assert other.sku == "B"


def test_deactivated_product_keeps_its_stock_and_history(merchant_a):
    product, point = make_product(merchant_a.merchant), make_point(merchant_a.merchant)
    stock.receive_stock(merchant=merchant_a.merchant, product=product, point=point, quantity=3)
    products.deactivate_product(product=product)
    product.refresh_from_db()
    assert not product.is_active
    assert StockLevel.objects.get(product=product).on_hand == 3


# --- Pages ----------------------------------------------------------------------------------


def test_product_list_searches_and_shows_totals_and_a_low_stock_badge(merchant_a, client_a):
    m = merchant_a.merchant
    tea, _coffee = make_product(m, sku="TEA-9", name="Oolong"), make_product(m, sku="COF-1")
    a, b = make_point(m), make_point(m)
    stock.receive_stock(merchant=m, product=tea, point=a, quantity=7)
    stock.receive_stock(merchant=m, product=tea, point=b, quantity=2)
    products.set_low_stock_threshold(merchant=m, product=tea, point=b, threshold=2)

    html = client_a.get(reverse("product_list"), {"q": "oolong"}).content.decode()
    assert "TEA-9" in html and "COF-1" not in html
    assert '<td class="num">9</td>' in html
    assert "Low stock" in html


def test_product_list_paginates_and_keeps_the_search(merchant_a, client_a):
    for n in range(30):
        make_product(merchant_a.merchant, sku=f"TEA-{n:02d}")
    html = client_a.get(reverse("product_list"), {"q": "TEA"}).content.decode()
    assert "Page 1 of 2" in html
    assert "?q=TEA&amp;page=2" in html


def test_empty_product_list_says_what_to_do(client_a):
    html = client_a.get(reverse("product_list")).content.decode()
    assert "No products yet" in html and reverse("product_create") in html


def test_product_form_creates_and_shows_a_duplicate_sku_on_its_field(merchant_a, client_a):
    data = {**GOOD, "value": 100}
    response = client_a.post(reverse("product_create"), data)
    product = Product.objects.get(merchant=merchant_a.merchant, sku="TEA-1")
    assert response.url == reverse("product_detail", args=[product.pk])

    again = client_a.post(reverse("product_create"), {**data, "name": "Twin"})
    assert again.status_code == 200
    assert again.context["form"].errors["sku"] == ["Another product already has SKU TEA-1."]


def test_product_form_names_a_negative_weight(client_a):
    response = client_a.post(reverse("product_create"), {**GOOD, "weight_g": -3, "value": 0})
    assert "weight_g" in response.context["form"].errors
    assert not Product.objects.exists()


def test_product_edit_saves_changes(merchant_a, client_a):
    product = make_product(merchant_a.merchant, sku="OLD")
    client_a.post(reverse("product_edit", args=[product.pk]), {**GOOD, "sku": "NEW", "value": 5})
    product.refresh_from_db()
    assert (product.sku, product.value) == ("NEW", 5)


def test_product_detail_receives_adjusts_and_sets_a_threshold(merchant_a, client_a):
    m = merchant_a.merchant
    product, point = make_product(m), make_point(m, name="North")
    detail = reverse("product_detail", args=[product.pk])

    r = client_a.post(
        reverse("product_receive", args=[product.pk]),
        {"receive-point": point.pk, "receive-quantity": 10, "receive-reason": "PO 7"},
    )
    assert r.url == detail
    r = client_a.post(
        reverse("product_adjust", args=[product.pk]),
        {"adjust-point": point.pk, "adjust-delta": -3, "adjust-reason": "damaged"},
    )
    assert r.url == detail
    client_a.post(
        reverse("product_threshold", args=[product.pk]),
        {"threshold-point": point.pk, "threshold-low_stock_threshold": 7},
    )
    level = StockLevel.objects.get(product=product, point=point)
    assert (level.on_hand, level.low_stock_threshold) == (7, 7)
    assert list(
        StockMovement.objects.filter(product=product).values_list("kind", "on_hand_delta")
    ) == [("adjust", -3), ("receive", 10)]

    html = client_a.get(detail).content.decode()
    assert "North" in html and "Low stock" in html and "damaged" in html


def test_adjustment_without_a_reason_is_refused_on_the_reason_field(merchant_a, client_a):
    product, point = make_product(merchant_a.merchant), make_point(merchant_a.merchant)
    r = client_a.post(
        reverse("product_adjust", args=[product.pk]),
        {"adjust-point": point.pk, "adjust-delta": 4, "adjust-reason": ""},
    )
    assert r.status_code == 422
    assert "reason" in r.context["adjust_form"].errors
    assert not StockMovement.objects.exists()


def test_adjustment_below_zero_is_a_form_error_not_a_500(merchant_a, client_a):
    product, point = make_product(merchant_a.merchant), make_point(merchant_a.merchant)
    stock.receive_stock(merchant=merchant_a.merchant, product=product, point=point, quantity=2)
    r = client_a.post(
        reverse("product_adjust", args=[product.pk]),
        {"adjust-point": point.pk, "adjust-delta": -5, "adjust-reason": "count"},
    )
    assert r.status_code == 422
    assert "Only 2 of" in r.content.decode()
    assert StockLevel.objects.get(product=product).on_hand == 2


def test_deactivate_button_deactivates(merchant_a, client_a):
    product = make_product(merchant_a.merchant)
    client_a.post(reverse("product_active", args=[product.pk]), {"active": "0"})
    product.refresh_from_db()
    assert not product.is_active
