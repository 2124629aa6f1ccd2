"""Today's work per storage point: counts, the pick list grouped by product, bulk moves
through the services, and the printable pick list PDF."""

from __future__ import annotations

import re
import subprocess

import pytest
from django.urls import reverse

from fulfillment.models import Order
from fulfillment.orders.selectors.today import pick_list, work_counts
from fulfillment.orders.services.orders import advance_order, create_order
from merchant.models import StockLevel
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import make_order, order_data, stock

pytestmark = pytest.mark.sqlite  # Today's work had PostgreSQL-only SQL: a 500 on the default setup


@pytest.fixture
def merchant(merchant_a):
    return merchant_a.merchant


@pytest.fixture
def shop(merchant):
    near = make_point(merchant, name="Lincoln Park", postal_code="60614")
    far = make_point(merchant, name="Chinatown", postal_code="60616")
    mug = make_product(merchant, sku="MUG", name="Enamel mug")
    tea = make_product(merchant, sku="TEA", name="Green tea")
    for point in (near, far):
        stock(merchant, point, mug, 20)
        stock(merchant, point, tea, 20)
    return {"near": near, "far": far, "mug": mug, "tea": tea}


def new_order(merchant, *lines, **overrides) -> Order:
    order, _ = create_order(merchant=merchant, data=order_data(*lines, **overrides))
    return order


@pytest.mark.django_db
def test_counts_per_point_follow_the_orders_status(merchant, shop):
    a = new_order(merchant, ("MUG", 1), reference="A")
    new_order(merchant, ("MUG", 2), ("TEA", 1), reference="B")
    c = new_order(merchant, ("TEA", 1), reference="C", destination={"postal_code": "60616"})
    advance_order(order=a, to_status="picked", user=None)
    advance_order(order=c, to_status="picked", user=None)
    advance_order(order=c, to_status="packed", user=None)
    counts = {w.point.name: w for w in work_counts(merchant)}
    near, far = counts["Lincoln Park"], counts["Chinatown"]
    assert (near.to_pick, near.units_to_pick, near.to_pack, near.to_hand_over) == (1, 3, 1, 0)
    assert (far.to_pick, far.to_pack, far.to_hand_over) == (0, 0, 1)


@pytest.mark.django_db
def test_pick_list_groups_units_by_product_with_their_orders(merchant, shop):
    new_order(merchant, ("MUG", 1), reference="A")
    new_order(merchant, ("MUG", 2), ("TEA", 1), reference="B")
    items = pick_list(merchant, shop["near"])
    assert [(i.product.sku, i.quantity) for i in items] == [("MUG", 3), ("TEA", 1)]
    assert [(o.reference, q) for o, q in items[0].orders] == [("A", 1), ("B", 2)]


@pytest.mark.django_db
def test_pick_list_caps_products_and_orders_in_sql_but_keeps_the_totals(merchant, shop):
    new_order(merchant, ("MUG", 1), reference="A")
    new_order(merchant, ("MUG", 2), ("TEA", 1), reference="B")
    new_order(merchant, ("MUG", 1), reference="C")
    [mug] = pick_list(merchant, shop["near"], products=1, orders_each=1)
    assert (mug.product.sku, mug.quantity, mug.order_count, mug.more_orders) == ("MUG", 4, 3, 2)
    assert [(o.reference, q) for o, q in mug.orders] == [("A", 1)]
    full = pick_list(merchant, shop["near"])
    assert [(i.product.sku, i.quantity, len(i.orders)) for i in full] == [
        ("MUG", 4, 3),
        ("TEA", 1, 1),
    ]


@pytest.mark.django_db
def test_page_pick_list_names_orders_from_the_oldest_open_orders_only(merchant, shop, monkeypatch):
    from fulfillment.orders.selectors import today

    monkeypatch.setattr(today, "ORDERS_SCANNED", 1)
    new_order(merchant, ("MUG", 1), reference="OLD")
    new_order(merchant, ("TEA", 2), reference="NEW")
    mug, tea = pick_list(merchant, shop["near"], orders_each=5)
    assert [o.reference for o, _ in mug.orders] == ["OLD"]
    assert (tea.quantity, tea.order_count, tea.orders, tea.more_orders) == (2, 1, [], 1)


@pytest.mark.django_db
def test_todays_work_caps_its_lists_and_links_to_the_rest(client_a, merchant, shop, monkeypatch):
    from fulfillment.orders.selectors import today

    monkeypatch.setattr(today, "SHOWN", 1)
    monkeypatch.setattr(today, "PRODUCTS_SHOWN", 1)
    monkeypatch.setattr(today, "ORDERS_PER_PRODUCT", 1)
    for reference in ("A", "B", "C"):
        new_order(merchant, ("MUG", 1), ("TEA", 1), reference=reference)
    near = shop["near"]

    page = client_a.get(f"/app/orders/today/{near.pk}/")

    body = page.content.decode()
    assert [i.product.sku for i in page.context["pick_items"]] == ["MUG"]
    assert "and 2 more" in body and "The first 1 products" in body
    assert [o.reference for o in page.context["to_pick"]] == ["A"]
    assert f"?status=allocated&amp;point={near.pk}" in body and "2 more orders" in body
    assert "To pick: 3 orders, 6 units" in body


@pytest.mark.django_db
def test_bulk_mark_picked_then_packed_moves_the_selected_orders(client_a, merchant, shop):
    a = new_order(merchant, ("MUG", 1), reference="A")
    b = new_order(merchant, ("MUG", 2), reference="B")
    c = new_order(merchant, ("TEA", 1), reference="C")
    url = f"/app/orders/today/{shop['near'].pk}/bulk"
    response = client_a.post(url, {"action": "picked", "orders": [a.pk, b.pk]})
    assert response.status_code == 302
    assert dict(Order.objects.values_list("reference", "status")) == {
        "A": "picked",
        "B": "picked",
        "C": "allocated",
    }
    level = StockLevel.objects.get(point=shop["near"], product=shop["mug"])
    assert (level.on_hand, level.reserved) == (17, 0)  # picked through the stock service

    client_a.post(url, {"action": "packed", "orders": [a.pk, c.pk]})
    page = client_a.get(f"/app/orders/today/{shop['near'].pk}/")
    messages = [str(m) for m in page.context["messages"]]
    assert any("1 order(s) marked packed" in m for m in messages)
    assert any("Order C" in m and "cannot become packed" in m for m in messages)
    assert Order.objects.get(pk=c.pk).status == "allocated"


@pytest.mark.django_db
def test_bulk_with_nothing_selected_says_so(client_a, merchant, shop):
    response = client_a.post(f"/app/orders/today/{shop['near'].pk}/bulk", {"action": "picked"})
    page = client_a.get(response.url)
    assert any("Select at least one order" in str(m) for m in page.context["messages"])


@pytest.mark.django_db
def test_bulk_ignores_another_merchants_orders(client_a, merchant, shop, merchant_b):
    theirs = make_order(merchant_b.merchant)
    client_a.post(
        f"/app/orders/today/{shop['near'].pk}/bulk", {"action": "picked", "orders": [theirs.pk]}
    )
    theirs.refresh_from_db()
    assert theirs.status == "allocated"


@pytest.mark.django_db
def test_todays_work_page_and_its_counts_fragment(client_a, merchant, shop):
    new_order(merchant, ("MUG", 1), reference="A")
    body = client_a.get("/app/orders/today/").content.decode()
    assert "Today's work" in body and "Lincoln Park" in body and "every 10s" in body
    fragment = client_a.get("/app/orders/today/counts", headers={"HX-Request": "true"})
    text = fragment.content.decode()
    assert "<html" not in text and 'data-count="to_pick">1<' in text


@pytest.mark.django_db
def test_todays_work_without_points_says_what_to_do(client_a):
    assert "Add a storage point" in client_a.get("/app/orders/today/").content.decode()


@pytest.mark.django_db
def test_pick_list_pdf_is_a_real_pdf_with_the_order_references(client_a, merchant, shop, tmp_path):
    new_order(merchant, ("MUG", 1), reference="PICK-ME-1")
    new_order(merchant, ("MUG", 2), ("TEA", 1), reference="PICK-ME-2")
    response = client_a.get(f"/app/orders/today/{shop['near'].pk}/pick-list.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    path = tmp_path / "pick.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "PICK-ME-1" in text and "PICK-ME-2" in text
    assert "MUG" in text and "Enamel mug" in text and "Lincoln Park" in text


@pytest.mark.django_db
def test_another_merchants_point_has_no_pick_list(client_a, merchant_b):
    theirs = make_point(merchant_b.merchant)
    assert client_a.get(f"/app/orders/today/{theirs.pk}/pick-list.pdf").status_code == 404


@pytest.mark.django_db
def test_today_page_links_to_the_work_while_allocated_orders_wait(client_a, merchant, shop):
    new_order(merchant, ("MUG", 1), reference="A")
    new_order(merchant, ("TEA", 2), reference="B")
    body = client_a.get(reverse("dashboard")).content.decode()
    assert "Nothing to pick or pack yet" not in body
    assert re.search(r'data-card="to-pick".*?data-count>2<', body, re.S)
    assert "To pick: 2 orders" in body and f'href="{reverse("orders_today")}"' in body


@pytest.mark.django_db
def test_today_page_says_there_is_nothing_to_pick_until_orders_arrive(client_a, merchant, shop):
    body = client_a.get(reverse("dashboard")).content.decode()
    assert "Nothing to pick or pack yet" in body
    assert re.search(r'data-card="to-pick".*?data-count>0<', body, re.S)
