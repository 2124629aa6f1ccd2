"""A return request of a merchant, for sweeps that need one (tests/test_tenant_isolation.py)."""

from __future__ import annotations

from fulfillment.models import OrderLine
from fulfillment.models.returns import ReturnRequest
from fulfillment.returns.services.requests import create_return_request
from merchant.models import Merchant
from tests.fulfillment.returns.conftest import delivered_order


def make_return(merchant: Merchant) -> ReturnRequest:
    """An approved label return of one unit of a delivered order."""
    order = delivered_order(merchant, quantity=1)
    return create_return_request(
        merchant=merchant,
        order=order,
        quantities={OrderLine.objects.get(order=order).pk: 1},
        reason="Too small",
        method="label",
    )
