"""POST /api/v1/orders: intake with idempotency, bad input as JSON problems, list, detail,
cancel."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client

from fulfillment.models import Allocation, Order, OrderEvent, OrderLine
from merchant.models import DemandRecord, StockLevel, StockMovement
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import make_order, order_data, stock

URL = "/api/v1/orders"


def post(client: Client, body, *, key: str | None = None):
    headers = {"Idempotency-Key": key} if key else {}
    content = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(URL, content, content_type="application/json", headers=headers)


def nothing_written() -> bool:
    return (
        not Order.objects.exists()
        and not OrderLine.objects.exists()
        and not Allocation.objects.exists()
        and not StockMovement.objects.filter(kind="reserve").exists()
        and not DemandRecord.objects.exists()
    )


@pytest.fixture
def shop(merchant_a):
    merchant = merchant_a.merchant
    point = make_point(merchant, name="Lincoln Park", postal_code="60614")
    product = make_product(merchant, sku="MUG-1", value=1200)
    stock(merchant, point, product, 10)
    return merchant, point, product


@pytest.mark.django_db
def test_an_order_is_created_routed_reserved_and_recorded_as_demand(api_client_a, shop):
    _merchant, point, product = shop
    response = post(api_client_a, order_data(("MUG-1", 2)), key="k-1")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "allocated"
    assert body["address_status"] == "ok" and body["address_problems"] == []
    assert body["value"] == 2400 and body["currency"] == "USD"
    assert body["destination"]["normalized_postal_code"] == "60614"
    assert body["destination"]["normalized_address"].endswith("CHICAGO, IL 60614, US")
    [line] = body["lines"]
    assert line["sku"] == "MUG-1" and line["quantity"] == 2
    [allocation] = line["allocations"]
    assert allocation["point_name"] == "Lincoln Park" and allocation["rank"] == 1
    assert "Nearest point holding all 1 line" in allocation["why"]
    assert [e["to_status"] for e in body["events"]] == ["received", "allocated"]
    level = StockLevel.objects.get(point=point, product=product)
    assert (level.on_hand, level.reserved) == (10, 2)
    demand = DemandRecord.objects.get()
    assert (demand.postal_code, demand.units, demand.product_id) == ("60614", 2, product.pk)

    detail = api_client_a.get(f"{URL}/{body['id']}").json()
    assert detail["lines"] == body["lines"] and detail["routing"]["considered"]


@pytest.mark.django_db
def test_the_same_idempotency_key_twice_makes_one_order(api_client_a, shop):
    first = post(api_client_a, order_data(("MUG-1", 1), reference="A-1"), key="same")
    again = post(api_client_a, order_data(("MUG-1", 1), reference="A-1"), key="same")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Order.objects.count() == 1
    assert StockLevel.objects.get().reserved == 1


@pytest.mark.django_db
def test_the_same_idempotency_key_with_another_body_is_a_conflict(api_client_a, shop):
    post(api_client_a, order_data(("MUG-1", 1), reference="A-1"), key="same")
    response = post(api_client_a, order_data(("MUG-1", 3), reference="A-1"), key="same")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_conflict"
    assert response.json()["field"] == "Idempotency-Key"
    assert Order.objects.count() == 1 and StockLevel.objects.get().reserved == 1


@pytest.mark.django_db
def test_a_reused_shop_reference_is_refused(api_client_a, shop):
    post(api_client_a, order_data(("MUG-1", 1), reference="A-1"))
    response = post(api_client_a, order_data(("MUG-1", 1), reference="A-1"))

    assert response.status_code == 409
    assert (response.json()["code"], response.json()["field"]) == (
        "duplicate_reference",
        "reference",
    )
    assert Order.objects.count() == 1 and StockLevel.objects.get().reserved == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_the_same_key_make_one_order(merchant_a):
    merchant = merchant_a.merchant
    point, product = make_point(merchant, postal_code="60614"), make_product(merchant, sku="MUG-1")
    stock(merchant, point, product, 50)
    body = json.dumps(order_data(("MUG-1", 1), reference="RACE-1"))
    start = threading.Barrier(8)

    def attempt(_: int) -> tuple[int, int]:
        client = Client(headers={"Authorization": f"Bearer {merchant_a.secret_key.raw}"})
        try:
            start.wait()
            response = post(client, body, key="race-key")
            return response.status_code, response.json()["id"]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(8)))

    assert sorted(status for status, _ in outcomes) == [200] * 7 + [201]
    assert len({order_id for _, order_id in outcomes}) == 1
    assert Order.objects.count() == 1
    assert StockLevel.objects.get().reserved == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        (order_data(("NOPE", 1)), "lines[0].sku"),
        (
            order_data(
                ("MUG-1", 1), lines=[{"sku": "MUG-1", "quantity": 1}, {"sku": "X", "quantity": 1}]
            ),
            "lines[1].sku",
        ),
        (order_data(("MUG-1", 0)), "lines[0].quantity"),
        (order_data(("MUG-1", -2)), "lines[0].quantity"),
        (order_data(("MUG-1", 1), destination={"postal_code": "00000"}), "destination.postal_code"),
        (order_data(("MUG-1", 1), destination={"postal_code": "ABCDE"}), "destination.postal_code"),
        (order_data(("MUG-1", 1), shopper={"name": " "}), "shopper.name"),
        (order_data(("MUG-1", 1), shopper={"email": "not-an-email"}), "shopper.email"),
        (order_data(("MUG-1", 1), lines=[]), "lines"),
        (order_data(("MUG-1", 1), currency="dollars"), "currency"),
        (order_data(("MUG-1", 1), delivery={"kind": "locker"}), "delivery.pickup_location_ref"),
        (
            order_data(
                ("MUG-1", 1),
                promised_from="2030-01-02T10:00:00Z",
                promised_until="2030-01-01T10:00:00Z",
            ),
            "promised_until",
        ),
    ],
    ids=[
        "unknown-sku",
        "unknown-sku-second-line",
        "zero-quantity",
        "negative-quantity",
        "zip-not-found",
        "zip-malformed",
        "no-name",
        "bad-email",
        "no-lines",
        "bad-currency",
        "locker-without-location",
        "window-backwards",
    ],
)
def test_bad_input_is_a_422_problem_naming_the_field_and_writes_nothing(
    api_client_a, shop, body, field
):
    response = post(api_client_a, body, key="bad")

    assert response.status_code == 422, response.content
    problem = response.json()
    assert (problem["status"], problem["code"], problem["field"]) == (422, "invalid", field)
    assert problem["detail"]
    assert nothing_written()


@pytest.mark.django_db
def test_a_missing_field_is_a_422_problem_naming_it(api_client_a, shop):
    body = order_data(("MUG-1", 1))
    del body["destination"]["postal_code"]
    response = post(api_client_a, body)

    assert response.status_code == 422
    assert response.json()["field"] == "destination.postal_code"
    assert nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ['{"lines": [', "not json", b"\xff\xfe", "[1, 2]", ""])
def test_a_malformed_body_is_a_4xx_json_problem_not_a_500(api_client_a, shop, raw):
    response = post(api_client_a, raw)

    assert response.status_code in (400, 422), response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]
    assert nothing_written()


@pytest.mark.django_db
def test_an_order_no_point_can_fill_is_refused_as_out_of_stock(api_client_a, shop):
    response = post(api_client_a, order_data(("MUG-1", 11)))

    assert response.status_code == 409
    assert response.json()["code"] == "out_of_stock"
    assert "MUG-1" in response.json()["detail"]
    assert nothing_written()


@pytest.mark.django_db
def test_an_address_problem_is_recorded_not_refused(api_client_a, shop):
    body = order_data(("MUG-1", 1), destination={"city": "Springfield"})
    response = post(api_client_a, body)

    assert response.status_code == 201
    assert response.json()["address_status"] == "problem"
    assert response.json()["can_ship"] is False
    assert [p["code"] for p in response.json()["address_problems"]] == ["postal_code_city_mismatch"]


@pytest.mark.django_db
def test_orders_list_is_paginated_newest_first_and_filters_by_status(api_client_a, shop):
    ids = [post(api_client_a, order_data(("MUG-1", 1))).json()["id"] for _ in range(3)]
    api_client_a.post(f"{URL}/{ids[0]}/cancel")

    page = api_client_a.get(URL, {"limit": 2}).json()
    assert page["count"] == 3
    assert [o["id"] for o in page["items"]] == [ids[2], ids[1]]
    cancelled = api_client_a.get(URL, {"status": "cancelled"}).json()
    assert [o["id"] for o in cancelled["items"]] == [ids[0]]
    assert api_client_a.get(URL, {"status": "lost"}).status_code == 422


@pytest.mark.django_db
def test_orders_list_filters_by_created_after(api_client_a, shop):
    first = post(api_client_a, order_data(("MUG-1", 1))).json()
    second = post(api_client_a, order_data(("MUG-1", 1))).json()

    page = api_client_a.get(URL, {"created_after": first["created_at"]}).json()
    assert [o["id"] for o in page["items"]] == [second["id"]]


@pytest.mark.django_db
def test_cancelling_releases_the_reservation_and_a_second_cancel_is_a_conflict(api_client_a, shop):
    _merchant, point, product = shop
    order_id = post(api_client_a, order_data(("MUG-1", 4))).json()["id"]

    response = api_client_a.post(f"{URL}/{order_id}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert StockLevel.objects.get(point=point, product=product).reserved == 0
    again = api_client_a.post(f"{URL}/{order_id}/cancel")
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"


@pytest.mark.django_db
def test_another_merchants_order_answers_404(api_client_a, merchant_b):
    theirs = make_order(merchant_b.merchant)

    assert api_client_a.get(f"{URL}/{theirs.pk}").status_code == 404
    assert api_client_a.post(f"{URL}/{theirs.pk}/cancel").status_code == 404
    assert api_client_a.get(URL).json()["count"] == 0
    theirs.refresh_from_db()
    assert theirs.status == "allocated"
    assert OrderEvent.objects.filter(order=theirs).count() == 2


@pytest.mark.django_db
def test_the_api_needs_a_secret_key(shop):
    assert Client().get(URL).status_code == 401


@pytest.mark.django_db
def test_the_orders_api_is_described_by_openapi(api_client_a):
    schema = api_client_a.get("/api/v1/openapi.json").json()

    assert {
        "/api/v1/orders",
        "/api/v1/orders/{order_id}",
        "/api/v1/orders/{order_id}/cancel",
    } <= set(schema["paths"])
    create = schema["paths"]["/api/v1/orders"]["post"]
    assert {"200", "201", "409", "422"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
