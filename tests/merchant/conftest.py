"""Fixtures of the merchant tests: a shop with demand to place stock for."""

from __future__ import annotations

import pytest

from merchant.services import stock
from tests.factories.merchant import make_point, make_product
from tests.support.helpers import add_demand


@pytest.fixture
def shop(merchant_a):
    """Demand in the north (60614, 60647) and a little downtown (60601); a warehouse downtown
    in use and two candidates, one in the north."""
    m = merchant_a.merchant
    product = make_product(m, sku="MUG")
    downtown = make_point(
        m, name="Downtown", postal_code="60601", capacity_units=500, monthly_cost=100_000
    )
    north = make_point(
        m,
        name="North",
        postal_code="60614",
        role="candidate",
        capacity_units=500,
        monthly_cost=20_000,
    )
    south = make_point(
        m,
        name="South",
        postal_code="60616",
        role="candidate",
        capacity_units=500,
        monthly_cost=20_000,
    )
    stock.receive_stock(merchant=m, product=product, point=downtown, quantity=100)
    for _ in range(5):
        add_demand(m, product, "60614", 10)
        add_demand(m, product, "60647", 8)
    add_demand(m, product, "60601", 2)
    return m, product, downtown, north, south
