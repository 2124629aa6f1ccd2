"""Shared set-up of the desk tests: a merchant's ready orders and a sandbox courier account."""

from __future__ import annotations

from fulfillment.models import CourierAccount, Order
from merchant.models import Merchant
from tests.factories.couriers import make_account, make_service
from tests.factories.orders import make_order
from tests.support.couriers import SANDBOX_KEY


def sandbox_account(merchant: Merchant, url: str) -> CourierAccount:
    account = make_account(
        merchant, courier="sandbox", name="Sandbox", credentials=f"api_key={SANDBOX_KEY}",
        base_url=url, requests_per_second=200.0,
    )  # fmt: skip
    for level, code, base in (("next_day", "next-day", 700), ("economy", "economy", 300)):
        make_service(account, level=level, code=code, name=code, base_minor=base)
    return account


def ready_orders(merchant: Merchant, count: int, **overrides) -> list[Order]:
    return [make_order(merchant, **overrides) for _ in range(count)]
