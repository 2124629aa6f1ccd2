"""Order pages through the test client: list and filters, detail and its actions, manual
entry and editing, exceptions, and the query counts at many orders."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fulfillment.models import Allocation, Order, OrderLine
from fulfillment.orders.services.orders import create_order
from merchant.models import StockLevel
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import make_order, order_data, stock


@pytest.fixture
def merchant(merchant_a):
    return merchant_a.merchant


@pytest.fixture
def shop(merchant):
    """Two stocked points and two products."""
    near = make_point(merchant, name="Lincoln Park", postal_code="60614")
    far = make_point(merchant, name="Chinatown", postal_code="60616")
    mug = make_product(merchant, sku="MUG", value=1800)
    tea = make_product(merchant, sku="TEA", value=900)
    for point in (near, far):
        stock(merchant, point, mug, 50)
        stock(merchant, point, tea, 50)
    return {"near": near, "far": far, "mug": mug, "tea": tea}


def new_order(merchant, *lines, **overrides) -> Order:
    order, _ = create_order(merchant=merchant, data=order_data(*lines, **overrides))
    return order


@pytest.mark.django_db
def test_empty_order_list_says_how_orders_arrive(client_a):
    response = client_a.get("/app/orders/")
    assert response.status_code == 200
    assert "No orders yet" in response.content.decode()
    assert "Import orders from a CSV" in response.content.decode()


@pytest.mark.django_db
def test_order_list_filters_by_status_search_point_and_address(client_a, merchant, shop):
    first = new_order(merchant, ("MUG", 1), reference="WEB-1")
    second = new_order(
        merchant,
        ("TEA", 1),
        reference="WEB-2",
        shopper={"email": "zoe@example.com"},
        destination={"city": "Evanston"},
    )
    # 60616 is nearest Chinatown.
    third = new_order(
        merchant,
        ("MUG", 1),
        reference="SHOP-3",
        destination={"postal_code": "60616", "city": "Chicago"},
    )
    client_a.post(f"/app/orders/{first.pk}/advance", {"to_status": "picked"})

    def refs(query: str) -> set[str]:
        response = client_a.get(f"/app/orders/?{query}")
        assert response.status_code == 200
        return {o.reference for o in response.context["page_obj"]}

    assert refs("") == {"WEB-1", "WEB-2", "SHOP-3"}
    assert refs("status=picked") == {"WEB-1"}
    assert refs("q=WEB") == {"WEB-1", "WEB-2"}
    assert refs("q=zoe@example.com") == {"WEB-2"}
    assert refs("q=60616") == {"SHOP-3"}
    assert refs(f"point={shop['far'].pk}") == {"SHOP-3"}
    assert refs("address=problem") == {"WEB-2"}
    assert second.address_status == "problem" and third.address_status == "ok"
    body = client_a.get("/app/orders/?status=delivered").content.decode()
    assert "No orders match these filters" in body


@pytest.mark.django_db
def test_order_list_rows_show_shopper_zip_status_point_and_value(client_a, merchant, shop):
    new_order(merchant, ("MUG", 2), reference="WEB-9")
    body = client_a.get("/app/orders/").content.decode()
    assert "WEB-9" in body and "Ada Shopper" in body and "60614" in body
    assert "Allocated" in body and "Lincoln Park" in body and "$36.00" in body


@pytest.mark.django_db
def test_order_list_paginates_fifty_a_page_and_keeps_filters(client_a, merchant, shop):
    for n in range(55):
        new_order(merchant, ("MUG", 1), reference=f"P-{n}")
    response = client_a.get("/app/orders/?q=P-")
    assert len(response.context["page_obj"]) == 50
    assert "q=P-&amp;page=2" in response.content.decode()
    assert len(client_a.get("/app/orders/?q=P-&page=2").context["page_obj"]) == 5


@pytest.mark.django_db
def test_order_detail_shows_why_the_point_was_chosen(client_a, merchant, shop):
    order = new_order(merchant, ("MUG", 1), ("TEA", 1))
    body = client_a.get(f"/app/orders/{order.pk}/").content.decode()
    assert "Nearest point holding all 2 lines" in body
    assert "Points considered" in body and "Chinatown" in body
    assert "2001 N CLARK ST" in body  # normalised address
    assert "received → allocated" in body
    assert f'hx-get="/app/couriers/orders/{order.pk}/rates"' in body  # courier options load in


@pytest.mark.django_db
def test_advancing_through_the_detail_page_follows_the_allowed_steps(client_a, merchant, shop):
    order = new_order(merchant, ("MUG", 1))
    response = client_a.post(f"/app/orders/{order.pk}/advance", {"to_status": "packed"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "allocated"
    page = client_a.get(f"/app/orders/{order.pk}/").content.decode()
    assert "cannot become packed" in page
    client_a.post(f"/app/orders/{order.pk}/advance", {"to_status": "picked"})
    order.refresh_from_db()
    assert order.status == "picked"


@pytest.mark.django_db
def test_cancelling_gives_the_stock_back(client_a, merchant, shop):
    order = new_order(merchant, ("MUG", 3))
    client_a.post(f"/app/orders/{order.pk}/cancel", {"note": "Shopper asked"})
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert (
        sum(StockLevel.objects.filter(product=shop["mug"]).values_list("reserved", flat=True)) == 0
    )


@pytest.mark.django_db
def test_rerouting_to_a_chosen_point_moves_the_reservation(client_a, merchant, shop):
    order = new_order(merchant, ("MUG", 2))
    response = client_a.post(f"/app/orders/{order.pk}/reroute", {"point": str(shop["far"].pk)})
    assert response.status_code == 302
    live = Allocation.objects.filter(order=order, state="reserved")
    assert {a.point_id for a in live} == {shop["far"].pk}
    far = StockLevel.objects.get(point=shop["far"], product=shop["mug"])
    near = StockLevel.objects.get(point=shop["near"], product=shop["mug"])
    assert (far.reserved, near.reserved) == (2, 0)


@pytest.mark.django_db
def test_rerouting_to_a_point_without_stock_is_a_form_error_and_changes_nothing(
    client_a, merchant, shop
):
    empty = make_point(merchant, name="Empty Room", postal_code="60622")
    order = new_order(merchant, ("MUG", 1))
    response = client_a.post(f"/app/orders/{order.pk}/reroute", {"point": str(empty.pk)})
    assert response.status_code == 422
    assert "was not re-routed" in response.content.decode()
    assert {a.point_id for a in Allocation.objects.filter(order=order, state="reserved")} == {
        shop["near"].pk
    }


@pytest.mark.django_db
def test_fixing_the_city_clears_the_address_problem(client_a, merchant, shop):
    order = new_order(merchant, ("MUG", 1), destination={"city": "Evanston"})
    assert order.address_status == "problem"
    response = client_a.post(
        f"/app/orders/{order.pk}/address",
        {
            "fix-line1": "2001 N Clark St",
            "fix-city": "Chicago",
            "fix-state": "IL",
            "fix-postal_code": "60614",
            "fix-country": "US",
            "fix-shopper_phone": "3125550100",
        },
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.address_status == "ok" and order.address_problems == []


@pytest.mark.django_db
def test_fixing_with_an_unknown_zip_is_a_form_error_and_changes_nothing(client_a, merchant, shop):
    order = new_order(merchant, ("MUG", 1))
    response = client_a.post(
        f"/app/orders/{order.pk}/address",
        {"fix-line1": "1 Main St", "fix-postal_code": "00000", "fix-country": "US"},
    )
    assert response.status_code == 422
    assert response.context["fix_form"].errors["postal_code"]
    order.refresh_from_db()
    assert order.postal_code == "60614"


@pytest.mark.django_db
def test_overriding_needs_a_note_then_unblocks_the_order(client_a, merchant, shop):
    order = new_order(merchant, ("MUG", 1), destination={"city": "Evanston"})
    response = client_a.post(f"/app/orders/{order.pk}/address/override", {"override-note": ""})
    assert response.status_code == 422
    order.refresh_from_db()
    assert order.address_status == "problem"
    client_a.post(f"/app/orders/{order.pk}/address/override", {"override-note": "Called her"})
    order.refresh_from_db()
    assert order.address_status == "overridden" and order.can_ship


@pytest.mark.django_db
def test_exceptions_list_shows_the_reason_and_overrides_from_there(client_a, merchant, shop):
    order = new_order(merchant, ("MUG", 1), reference="BAD-CITY", destination={"city": "Evanston"})
    new_order(merchant, ("MUG", 1), reference="GOOD")
    body = client_a.get("/app/orders/exceptions/").content.decode()
    assert "BAD-CITY" in body and "GOOD" not in body
    assert "is in Chicago, not Evanston" in body
    response = client_a.post(
        f"/app/orders/{order.pk}/address/override",
        {"override-note": "Known address", "next": "exceptions"},
    )
    assert response.status_code == 302 and response.url == "/app/orders/exceptions/"
    assert "No exceptions" in client_a.get("/app/orders/exceptions/").content.decode()


def order_form(**overrides) -> dict:
    data = {
        "reference": "PHONE-1",
        "shopper_name": "Grace Hopper",
        "shopper_email": "grace@example.com",
        "shopper_phone": "3125550101",
        "line1": "1200 W Fulton Market",
        "line2": "",
        "city": "Chicago",
        "state": "IL",
        "postal_code": "60607",
        "country": "US",
        "service_level": "next_day",
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_manual_entry_creates_an_allocated_order(client_a, merchant, shop):
    response = client_a.post(
        "/app/orders/new/",
        order_form(**{"lines-0-product": shop["mug"].sku, "lines-0-quantity": "2"}),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get(reference="PHONE-1")
    assert order.source == "manual" and order.status == "allocated"
    assert [(line.product.sku, line.quantity) for line in order.lines.all()] == [("MUG", 2)]


@pytest.mark.django_db
def test_manual_entry_with_a_product_of_another_shop_is_a_form_error_and_writes_nothing(
    client_a, merchant, shop, merchant_b
):
    foreign = make_product(merchant_b.merchant, sku="THEIRS")
    response = client_a.post(
        "/app/orders/new/",
        order_form(**{"lines-0-product": foreign.sku, "lines-0-quantity": "1"}),
    )
    assert response.status_code == 422
    assert response.context["formset"].forms[0].errors["product"]
    assert not Order.objects.exists() and not OrderLine.objects.exists()


@pytest.mark.django_db
def test_manual_entry_beyond_the_stock_is_a_form_error_and_writes_nothing(client_a, merchant, shop):
    response = client_a.post(
        "/app/orders/new/",
        order_form(**{"lines-0-product": shop["mug"].sku, "lines-0-quantity": "500"}),
    )
    assert response.status_code == 422
    assert "available" in " ".join(response.context["form"].non_field_errors())
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_editing_lines_releases_and_reserves_again(client_a, merchant, shop):
    order = new_order(merchant, ("MUG", 2))
    response = client_a.post(
        f"/app/orders/{order.pk}/edit/",
        order_form(
            reference=order.reference,
            line1="2001 N Clark St",
            postal_code="60614",
            **{
                "lines-0-product": shop["tea"].sku,
                "lines-0-quantity": "3",
            },
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    order.refresh_from_db()
    assert [(line.product.sku, line.quantity) for line in order.lines.all()] == [("TEA", 3)]
    assert order.value == 2700
    mug_reserved = StockLevel.objects.filter(product=shop["mug"]).values_list("reserved", flat=True)
    tea_reserved = StockLevel.objects.filter(product=shop["tea"]).values_list("reserved", flat=True)
    assert sum(mug_reserved) == 0 and sum(tea_reserved) == 3
    assert order.shopper_name == "Grace Hopper"


@pytest.mark.django_db
def test_a_picked_order_cannot_be_edited(client_a, merchant, shop):
    order = new_order(merchant, ("MUG", 1))
    client_a.post(f"/app/orders/{order.pk}/advance", {"to_status": "picked"})
    response = client_a.get(f"/app/orders/{order.pk}/edit/")
    assert response.status_code == 302


@pytest.mark.django_db
def test_another_merchants_order_answers_404(client_a, merchant_b):
    theirs = make_order(merchant_b.merchant)
    assert client_a.get(f"/app/orders/{theirs.pk}/").status_code == 404
    assert client_a.post(f"/app/orders/{theirs.pk}/cancel").status_code == 404


def bulk_orders(merchant, product, point, count: int) -> None:
    """`count` orders made the fast way (a read test): 1 line, 1 allocation, 1 event each."""
    from fulfillment.models import OrderEvent

    orders = Order.objects.bulk_create(
        [
            Order(
                merchant=merchant,
                reference=f"BULK-{n}",
                shopper_name=f"Shopper {n}",
                shopper_email=f"s{n}@example.com",
                postal_code="60614",
                normalized_postal_code="60614",
                status="allocated",
                value=1800,
            )
            for n in range(count)
        ]
    )
    lines = OrderLine.objects.bulk_create(
        [OrderLine(merchant=merchant, order=o, product=product, quantity=1) for o in orders]
    )
    Allocation.objects.bulk_create(
        [
            Allocation(
                merchant=merchant,
                order=line.order,
                line=line,
                point=point,
                quantity=1,
                distance_m=100,
                rank=1,
                why="bench",
            )
            for line in lines
        ]
    )
    OrderEvent.objects.bulk_create(
        [OrderEvent(merchant=merchant, order=o, to_status="allocated") for o in orders]
    )


@pytest.mark.django_db
def test_list_and_detail_stay_within_twenty_queries_with_many_orders(
    client_a, merchant, shop, django_assert_max_num_queries
):
    bulk_orders(merchant, shop["mug"], shop["near"], 600)
    order = new_order(merchant, ("MUG", 1), ("TEA", 2))
    with django_assert_max_num_queries(20):
        response = client_a.get("/app/orders/")
    assert len(response.context["page_obj"]) == 50
    with django_assert_max_num_queries(20):
        client_a.get(f"/app/orders/?status=allocated&point={shop['near'].pk}&q=BULK&page=3")
    with django_assert_max_num_queries(20):
        response = client_a.get(f"/app/orders/{order.pk}/")
    assert response.status_code == 200


@pytest.mark.django_db
def test_pages_in_the_back_half_read_from_the_end_and_show_the_same_orders(
    client_a, merchant, shop, monkeypatch
):
    from fulfillment.orders.views import orders as views

    monkeypatch.setattr(views, "PER_PAGE", 2)
    made = [new_order(merchant, ("MUG", 1), reference=f"P-{n}") for n in range(7)]
    newest_first = [o.reference for o in reversed(made)]

    shown = {}
    for number in (1, 2, 3, 4):
        page = client_a.get(f"/app/orders/?page={number}").context["page_obj"]
        shown[number] = [o.reference for o in page.object_list]
        assert all(o.allocations.all() for o in page.object_list)  # prefetched on both paths

    assert shown == {1: newest_first[0:2], 2: newest_first[2:4], 3: newest_first[4:6], 4: ["P-0"]}
    with CaptureQueriesContext(connection) as queries:
        client_a.get("/app/orders/?page=4")
    assert not any("OFFSET 6" in q["sql"] for q in queries.captured_queries)
