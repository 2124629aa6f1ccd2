"""No overselling: concurrent reservations in separate PostgreSQL connections."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from merchant.models import StockLevel, StockMovement
from merchant.services import stock
from tests.factories.merchant import make_point, make_product

pytestmark = pytest.mark.django_db(transaction=True)

ATTEMPTS = 120
UNITS = 10


def test_concurrent_reservations_never_oversell_and_the_ledger_matches(merchant_a):
    assert connection.vendor == "postgresql"
    merchant = merchant_a.merchant
    point, product = make_point(merchant), make_product(merchant)
    stock.receive_stock(merchant=merchant, product=product, point=point, quantity=UNITS)
    start = threading.Barrier(16)

    def attempt(n: int) -> str:
        try:
            if n < 16:
                start.wait()  # the first wave starts at the same instant
            stock.reserve_stock(
                merchant=merchant, product=product, point=point, quantity=1, reference=f"line:{n}"
            )
            return "reserved"
        except stock.OutOfStock as exc:
            assert "available" in str(exc)
            return "out_of_stock"
        finally:
            connections.close_all()  # each worker thread has its own connection

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, range(ATTEMPTS)))

    assert outcomes.count("reserved") == UNITS
    assert outcomes.count("out_of_stock") == ATTEMPTS - UNITS
    level = StockLevel.objects.get(product=product, point=point)
    assert (level.on_hand, level.reserved, level.available) == (UNITS, UNITS, 0)
    assert StockMovement.objects.filter(kind="reserve").count() == UNITS
    assert stock.ledger_mismatches(merchant) == []


def test_concurrent_multi_line_reservations_in_opposite_orders_do_not_deadlock(merchant_a):
    merchant = merchant_a.merchant
    point = make_point(merchant)
    a, b = make_product(merchant), make_product(merchant)
    for product in (a, b):
        stock.receive_stock(merchant=merchant, product=product, point=point, quantity=20)

    def attempt(n: int) -> str:
        first, second = (a, b) if n % 2 else (b, a)
        try:
            stock.reserve_many(
                merchant=merchant,
                changes=[stock.StockChange(first, point, 1), stock.StockChange(second, point, 1)],
            )
            return "reserved"
        except stock.OutOfStock:
            return "out_of_stock"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(40)))
    assert outcomes.count("reserved") == 20
    assert stock.ledger_mismatches(merchant) == []
