"""The order page's packing slip: every line and quantity of the order, in A4 or 4×6."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories.orders import make_order
from tests.fulfillment.labels.render.samples import pdf_tool


@pytest.mark.django_db
@pytest.mark.parametrize("size", ["a4", "4x6"])
def test_the_packing_slip_lists_the_orders_lines_and_quantities(merchant_a, client_a, size):
    order = make_order(merchant_a.merchant, quantity=3, reference="SLIP-1")
    line = order.lines.select_related("product").get()

    response = client_a.get(reverse("order_packing_slip", args=[order.pk]), {"size": size})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_tool("pdftotext", response.content)
    assert "SLIP-1" in text
    assert line.product.sku in text
    assert order.shopper_name in text
    page = pdf_tool("pdfinfo", response.content)
    expected = "595.276 x 841.89" if size == "a4" else "288 x 432"
    assert expected in page


@pytest.mark.django_db
def test_the_order_page_links_both_sizes_and_a_bad_size_is_named(merchant_a, client_a):
    order = make_order(merchant_a.merchant)
    url = reverse("order_packing_slip", args=[order.pk])

    page = client_a.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert f"{url}?size=a4" in page and f"{url}?size=4x6" in page
    refused = client_a.get(url, {"size": "letter"})
    assert refused.status_code == 400
    assert "size must be one of" in refused.content.decode()
