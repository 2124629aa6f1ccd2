"""The stock overview (availability matrix, low-stock alerts) and the ledger page."""

import pytest
from django.urls import reverse

from merchant.services import products, stock
from tests.factories.merchant import make_point, make_product

pytestmark = pytest.mark.django_db


def test_overview_shows_available_units_per_point_and_the_low_stock_alerts(merchant_a, client_a):
    m = merchant_a.merchant
    north, south = make_point(m, name="North"), make_point(m, name="South")
    make_point(m, name="Closed", is_active=False)
    tea = make_product(m, sku="TEA")
    stock.receive_stock(merchant=m, product=tea, point=north, quantity=8)
    stock.reserve_stock(merchant=m, product=tea, point=north, quantity=3)
    stock.receive_stock(merchant=m, product=tea, point=south, quantity=2)
    products.set_low_stock_threshold(merchant=m, product=tea, point=south, threshold=2)
    products.set_low_stock_threshold(merchant=m, product=tea, point=north, threshold=4)

    response = client_a.get(reverse("inventory"))
    html = response.content.decode()
    assert [p.name for p in response.context["points"]] == ["North", "South"]
    assert [(lv.point.name, lv.available_units) for lv in response.context["alerts"]] == [
        ("South", 2)
    ]
    row = response.context["rows"][0]
    assert [cell.available for cell in row["cells"]] == [5, 2]
    assert "Closed" not in html and "No low-stock alerts" not in html


def test_overview_without_alerts_or_products_says_what_to_do(client_a):
    html = client_a.get(reverse("inventory")).content.decode()
    assert "No low-stock alerts" in html
    assert "No products yet" in html


def test_overview_paginates_by_product(merchant_a, client_a):
    make_point(merchant_a.merchant)
    for n in range(30):
        make_product(merchant_a.merchant, sku=f"P{n:02d}")
    response = client_a.get(reverse("inventory"), {"page": 2})
    assert [row["product"].sku for row in response.context["rows"]] == [
        f"P{n}" for n in range(25, 30)
    ]


def test_ledger_filters_by_point_product_and_kind(merchant_a, client_a):
    m = merchant_a.merchant
    north, south = make_point(m, name="North"), make_point(m, name="South")
    tea, mug = make_product(m, sku="TEA"), make_product(m, sku="MUG")
    stock.receive_stock(merchant=m, product=tea, point=north, quantity=5)
    stock.receive_stock(merchant=m, product=mug, point=south, quantity=5)
    stock.adjust_stock(merchant=m, product=tea, point=north, delta=-1, reason="broken")

    def rows(**query):
        page = client_a.get(reverse("inventory_ledger"), query).context["page_obj"]
        return [(mv.product.sku, mv.point.name, mv.kind) for mv in page]

    assert len(rows()) == 3
    assert rows(point=south.pk) == [("MUG", "South", "receive")]
    assert rows(product=tea.sku, kind="adjust") == [("TEA", "North", "adjust")]


def test_ledger_fragment_for_htmx_and_empty_state(client_a):
    response = client_a.get(reverse("inventory_ledger"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert 'id="ledger-table"' in html and "<html" not in html
    assert "No movements" in html


def test_ledger_paginates_and_keeps_the_filters(merchant_a, client_a):
    m = merchant_a.merchant
    point, product = make_point(m), make_product(m)
    for _ in range(55):
        stock.receive_stock(merchant=m, product=product, point=point, quantity=1)
    html = client_a.get(reverse("inventory_ledger"), {"kind": "receive"}).content.decode()
    assert "Page 1 of 2" in html and "kind=receive&amp;page=2" in html
