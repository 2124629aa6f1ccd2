"""reserve_many in one batch: a constant number of queries, all or nothing, the ledger
matching the summary rows, and a refusal that leaves the caller's transaction usable."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from merchant.models import StockLevel, StockMovement
from merchant.services import stock
from tests.factories.merchant import make_point, make_product

pytestmark = pytest.mark.sqlite  # hand-written SQL or a vendor branch: runs on SQLite too


def stocked(merchant, points: int, products: int, quantity: int = 10):
    made_points = [make_point(merchant) for _ in range(points)]
    made_products = [make_product(merchant) for _ in range(products)]
    for point in made_points:
        for product in made_products:
            stock.receive_stock(merchant=merchant, product=product, point=point, quantity=quantity)
    return made_points, made_products


def reserved(product, point) -> int:
    return StockLevel.objects.get(product=product, point=point).reserved


@pytest.mark.django_db
def test_reserving_one_line_or_eight_over_two_points_takes_the_same_number_of_queries(
    merchant_a,
):
    merchant = merchant_a.merchant
    points, products = stocked(merchant, points=2, products=4)
    with CaptureQueriesContext(connection) as one:
        stock.reserve_many(
            merchant=merchant, changes=[stock.StockChange(products[0], points[0], 1)]
        )
    changes = [stock.StockChange(p, pt, 2) for p in products for pt in points]
    with CaptureQueriesContext(connection) as eight:
        levels = stock.reserve_many(merchant=merchant, changes=changes, reference="order:8")

    assert len(eight.captured_queries) == len(one.captured_queries) <= 5
    assert [level.reserved for level in levels] == [3, 2, 2, 2, 2, 2, 2, 2]
    assert reserved(products[0], points[0]) == 3 and reserved(products[3], points[1]) == 2
    assert StockMovement.objects.filter(kind="reserve", reference="order:8").count() == 8
    assert stock.ledger_mismatches(merchant) == []


@pytest.mark.django_db
def test_lines_of_the_same_product_and_point_are_added_up_before_checking(merchant_a):
    merchant = merchant_a.merchant
    [point], [product] = stocked(merchant, points=1, products=1, quantity=5)

    with pytest.raises(stock.OutOfStock) as refused:
        stock.reserve_many(
            merchant=merchant,
            changes=[stock.StockChange(product, point, 3), stock.StockChange(product, point, 3)],
        )

    assert (refused.value.requested, refused.value.available) == (6, 5)
    assert reserved(product, point) == 0
    assert not StockMovement.objects.filter(kind="reserve").exists()


@pytest.mark.django_db
def test_a_refused_batch_writes_nothing_and_leaves_the_callers_transaction_usable(merchant_a):
    merchant = merchant_a.merchant
    points, products = stocked(merchant, points=2, products=2, quantity=4)
    unstocked = make_point(merchant)

    with transaction.atomic():
        with pytest.raises(stock.OutOfStock) as refused:
            stock.reserve_many(
                merchant=merchant,
                changes=[
                    stock.StockChange(products[0], points[0], 1),
                    stock.StockChange(products[1], unstocked, 1),
                ],
            )
        # The caller carries on in the same transaction (routing plans again).
        stock.reserve_many(
            merchant=merchant, changes=[stock.StockChange(products[1], points[1], 4)]
        )

    assert refused.value.point == unstocked and refused.value.available == 0
    assert not StockLevel.objects.filter(point=unstocked).exists()
    assert reserved(products[0], points[0]) == 0
    assert reserved(products[1], points[1]) == 4
    assert stock.ledger_mismatches(merchant) == []


@pytest.mark.django_db
def test_a_batch_for_another_shops_point_is_refused(merchant_a, merchant_b):
    [point], [product] = stocked(merchant_a.merchant, points=1, products=1)
    theirs = make_point(merchant_b.merchant)

    with pytest.raises(ValidationError, match="another shop"):
        stock.reserve_many(
            merchant=merchant_a.merchant,
            changes=[
                stock.StockChange(product, point, 1),
                stock.StockChange(product, theirs, 1),
            ],
        )
    assert reserved(product, point) == 0
