"""The number of SQL queries of one POST /api/v1/orders stays constant and at most 15, whatever
the number of lines, storage points and products."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fulfillment.models import Allocation, Order
from merchant.models import DemandRecord, StockMovement
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import order_data, stock

MAX_QUERIES = 15
# Chicago ZIP codes the points are spread over (the order goes to 60614).
POSTAL_CODES = ["60601", "60607", "60610", "60614", "60618", "60622", "60625", "60640", "60647"]


def make_shop(merchant, *, points: int, products: int) -> list[str]:
    made = [make_product(merchant, sku=f"Q-{n}") for n in range(products)]
    for n in range(points):
        point = make_point(merchant, postal_code=POSTAL_CODES[n % len(POSTAL_CODES)])
        for product in made:
            stock(merchant, point, product, 100)
    return [p.sku for p in made]


def post_counted(client, body: dict, key: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            "/api/v1/orders",
            json.dumps(body),
            content_type="application/json",
            headers={"Idempotency-Key": key},
        )
    assert response.status_code == 201, response.content
    return len(queries.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("points", [5, 30])
def test_an_intake_request_makes_the_same_number_of_queries_for_1_3_and_6_lines(
    api_client_a, merchant_a, points
):
    skus = make_shop(merchant_a.merchant, points=points, products=8)
    # The first request of a key also records when the key was last used.
    first = post_counted(api_client_a, order_data((skus[7], 1)), key="first")
    counts = {
        lines: post_counted(
            api_client_a, order_data(*[(sku, 2) for sku in skus[:lines]]), key=f"lines-{lines}"
        )
        for lines in (1, 3, 6)
    }

    assert first <= MAX_QUERIES
    assert max(counts.values()) <= MAX_QUERIES, counts
    assert len(set(counts.values())) == 1, counts
    assert StockMovement.objects.filter(kind="reserve").count() == 1 + 1 + 3 + 6
    assert DemandRecord.objects.count() == 1 + 1 + 3 + 6


@pytest.mark.django_db
def test_an_order_split_over_two_points_makes_no_more_queries_than_one_from_a_single_point(
    api_client_a, merchant_a
):
    merchant = merchant_a.merchant
    near = make_point(merchant, postal_code="60614")
    far = make_point(merchant, postal_code="60607")
    mug, cup = make_product(merchant, sku="MUG"), make_product(merchant, sku="CUP")
    stock(merchant, near, mug, 5)
    stock(merchant, far, cup, 5)  # no point holds both: MUG + CUP is split over two
    post_counted(api_client_a, order_data(("MUG", 1)), key="warm")

    single = post_counted(api_client_a, order_data(("MUG", 1)), key="single")
    split = post_counted(api_client_a, order_data(("MUG", 1), ("CUP", 1)), key="split")

    assert single <= MAX_QUERIES and split <= MAX_QUERIES
    assert split == single
    order = Order.objects.get(idempotency_key="split")
    assert set(Allocation.objects.filter(order=order).values_list("point_id", flat=True)) == {
        near.pk,
        far.pk,
    }
