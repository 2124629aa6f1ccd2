"""Order tags (order page form, order API) and the order list's new filters and its Ship
selected form, through HTTP as a user without JavaScript would; hostile input included."""

from __future__ import annotations

import pytest

from fulfillment.desk.services.tags import order_tags, set_order_tags
from fulfillment.models import Order, ShipRun
from tests.factories.orders import make_order

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]  # also make run's database


def test_tags_are_saved_from_the_order_page_and_filter_the_list(merchant_a, client_a):
    order, other = make_order(merchant_a.merchant), make_order(merchant_a.merchant)
    response = client_a.post(f"/app/desk/orders/{order.pk}/tags", {"tags": " Gift, fragile,gift"})
    assert response.status_code == 302
    assert order_tags(order) == ["fragile", "gift"]
    page = client_a.get(f"/app/orders/{order.pk}/").content.decode()
    assert 'value="fragile, gift"' in page

    listed = client_a.get("/app/orders/", {"tag": "GIFT"}).content.decode()
    assert f"/app/orders/{order.pk}/" in listed and f"/app/orders/{other.pk}/" not in listed
    assert "1 order matching the filters" in listed
    assert 'name="filter" value="tag=GIFT"' in listed


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "a\x00b",
        "x" * 41,
        "\u202egift",
        ",".join("abcdefghijklmnopqrstu"),
    ],
)
def test_a_bad_tag_is_a_message_and_changes_nothing(merchant_a, client_a, text):
    order = make_order(merchant_a.merchant)
    set_order_tags(order=order, tags="keep")
    response = client_a.post(f"/app/desk/orders/{order.pk}/tags", {"tags": text}, follow=True)
    assert response.status_code == 200
    assert "Tags not saved" in response.content.decode()
    assert order_tags(order) == ["keep"]
    assert "<script>alert" not in response.content.decode()


def test_destination_and_service_filters(merchant_a, client_a):
    merchant = merchant_a.merchant
    here = make_order(merchant)
    there = make_order(merchant, delivery={"service_level": "economy"})
    listed = client_a.get("/app/orders/", {"service_level": "economy"}).content.decode()
    assert f"/app/orders/{there.pk}/" in listed and f"/app/orders/{here.pk}/" not in listed
    for query in ({"zip_prefix": "606"}, {"state": "il"}, {"country": "us"}):
        listed = client_a.get("/app/orders/", query).content.decode()
        assert f"/app/orders/{here.pk}/" in listed, query
    listed = client_a.get("/app/orders/", {"zip_prefix": "100"}).content.decode()
    assert "No orders match these filters" in listed
    bad = client_a.get("/app/orders/", {"country": "<b>", "zip_prefix": "6\x0006"})
    assert bad.status_code == 200 and "Two letters" in bad.content.decode()


def test_ship_selected_without_javascript_starts_a_run_of_the_ticked_orders(merchant_a, client_a):
    first, second = make_order(merchant_a.merchant), make_order(merchant_a.merchant)
    response = client_a.post("/app/desk/ship/", {"orders": [first.pk, second.pk], "service": ""})
    run = ShipRun.objects.get()
    assert response.status_code == 302 and response.url == f"/app/desk/runs/{run.pk}/"
    assert set(run.items.values_list("order_id", flat=True)) == {first.pk, second.pk}
    page = client_a.get(response.url).content.decode()
    assert "each order gets the rule's service" in page and 'hx-trigger="every 1s"' in page


def test_ship_selected_all_matching_uses_the_filter_not_the_ticks(merchant_a, client_a):
    tagged, other = make_order(merchant_a.merchant), make_order(merchant_a.merchant)
    set_order_tags(order=tagged, tags="vip")
    client_a.post(
        "/app/desk/ship/", {"all_matching": "on", "filter": "tag=vip", "orders": [other.pk]}
    )
    run = ShipRun.objects.get()
    assert list(run.items.values_list("order_id", flat=True)) == [tagged.pk]
    assert "tag vip" in run.description


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"orders": ["abc"]},
        {"orders": [999999999]},
        {"all_matching": "on", "filter": "country=<b>"},
        {"all_matching": "on", "filter": "tag=nothing-has-this"},
        {"orders": [1], "service": "999999999"},
    ],
)
def test_ship_selected_with_nothing_valid_says_why_and_starts_nothing(merchant_a, client_a, data):
    make_order(merchant_a.merchant)
    response = client_a.post("/app/desk/ship/", data, follow=True)
    assert response.status_code == 200
    assert "Nothing shipped" in response.content.decode()
    assert not ShipRun.objects.exists()


def test_order_api_shows_and_sets_tags(merchant_a, api_client_a):
    order = make_order(merchant_a.merchant)
    response = api_client_a.put(
        f"/api/v1/orders/{order.pk}/tags", {"tags": ["Gift", "gift", "b2b"]},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["tags"] == ["b2b", "gift"]
    assert api_client_a.get(f"/api/v1/orders/{order.pk}").json()["tags"] == ["b2b", "gift"]
    bad = api_client_a.put(
        f"/api/v1/orders/{order.pk}/tags", {"tags": ["<b>"]}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["field"] == "tags"
    assert Order.objects.get(pk=order.pk).tags.count() == 2


def test_the_csv_import_sets_tags_and_names_the_line_of_a_bad_one(merchant_a):
    from fulfillment.orders.services.csv_import import (
        apply_order_import,
        stage_order_upload,
        validate_orders_file,
    )
    from tests.factories.merchant import make_point, make_product
    from tests.factories.orders import stock

    merchant = merchant_a.merchant
    product = make_product(merchant)
    stock(merchant, make_point(merchant, postal_code="60614"), product, 5)
    header = "reference,shopper_name,line1,city,state,postal_code,sku,quantity,tags\n"
    row = f'T-1,Ada,2001 N Clark St,Chicago,IL,60614,{product.sku},1,"{{}}"\n'
    bad = validate_orders_file(
        merchant=merchant, filename="o.csv", data=(header + row.format("<b>")).encode()
    )
    assert [(e.line, e.column) for e in bad.errors] == [(2, "tags")]
    data = (header + row.format("Gift, fragile")).encode()
    import_id = stage_order_upload(merchant=merchant, filename="o.csv", data=data)
    apply_order_import(merchant=merchant, import_id=import_id)
    assert order_tags(Order.objects.get(merchant=merchant, reference="T-1")) == ["fragile", "gift"]
