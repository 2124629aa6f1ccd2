"""Product boxes (ledger filter, new transfer, new order) take a SKU and suggest products as the
user types: no page lists every product as an <option> (7-37 s and 3-17 MB at 50,000)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from merchant.models import Product
from tests.factories.merchant import make_product

pytestmark = pytest.mark.django_db

PAGES = ["inventory_ledger", "transfer_create", "order_create"]


@pytest.fixture
def many_products(merchant_a):
    merchant = merchant_a.merchant
    Product.objects.bulk_create(
        Product(
            merchant=merchant,
            sku=f"BULK-{n:05d}",
            name=f"Bulk product {n}",
            weight_g=100,
            length_mm=10,
            width_mm=10,
            height_mm=10,
            value=100,
        )
        for n in range(3000)
    )
    return merchant


@pytest.mark.parametrize("name", PAGES)
def test_pages_with_a_product_box_do_not_list_every_product(client_a, many_products, name):
    response = client_a.get(reverse(name))

    assert response.status_code == 200
    html = response.content.decode()
    assert "BULK-02999" not in html
    assert 'hx-get="/app/inventory/products/options"' in html
    assert len(response.content) < 200_000


def test_the_product_box_suggests_matching_products_of_this_merchant_only(
    client_a, merchant_a, merchant_b
):
    make_product(merchant_a.merchant, sku="MUG-BLUE", name="Blue mug")
    make_product(merchant_a.merchant, sku="TEA-1", name="Mug-shaped tea tin")
    make_product(merchant_a.merchant, sku="JAM", name="Jam")
    make_product(merchant_b.merchant, sku="MUG-THEIRS", name="Their mug")

    response = client_a.get(reverse("product_options"), {"lines-0-product": "mug"})

    html = response.content.decode()
    assert '<option value="MUG-BLUE">' in html
    assert '<option value="TEA-1">' in html
    assert "JAM" not in html and "THEIRS" not in html


def test_suggestions_escape_markup_in_product_names(client_a, merchant_a):
    make_product(merchant_a.merchant, sku="X-1", name='"><img src=x onerror=alert(1)>')

    html = client_a.get(reverse("product_options"), {"q": "X-1"}).content.decode()

    assert "<img" not in html and "&lt;img" in html


def test_an_unknown_sku_in_a_transfer_line_is_a_field_error(client_a, merchant_a):
    response = client_a.post(
        reverse("transfer_create"),
        {
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": "NO-SUCH\x00SKU",
            "lines-0-quantity": "1",
        },
    )

    assert response.status_code in (200, 422)
    assert "No product has the SKU" in response.content.decode()


@pytest.mark.sqlite
def test_a_nul_byte_in_the_product_box_is_ignored_not_a_server_error(client_a, merchant_a):
    make_product(merchant_a.merchant, sku="MUG-BLUE", name="Blue mug")

    response = client_a.get(reverse("product_options"), {"q": "MUG\x00"})

    assert response.status_code == 200
    assert '<option value="MUG-BLUE">' in response.content.decode()


@pytest.mark.sqlite
def test_the_product_box_suggests_skus_that_start_with_the_term_first(client_a, merchant_a):
    make_product(merchant_a.merchant, sku="A-TEA", name="Tea in a mug")
    make_product(merchant_a.merchant, sku="B-MUG", name="Small mug")
    make_product(merchant_a.merchant, sku="MUG-RED", name="Red")
    make_product(merchant_a.merchant, sku="mug-blue", name="Blue")

    html = client_a.get(reverse("product_options"), {"q": "Mug"}).content.decode()

    positions = [html.index(f'<option value="{sku}">') for sku in ("MUG-RED", "mug-blue")]
    others = [html.index(f'<option value="{sku}">') for sku in ("A-TEA", "B-MUG")]
    assert max(positions) < min(others)
    assert others == sorted(others)
