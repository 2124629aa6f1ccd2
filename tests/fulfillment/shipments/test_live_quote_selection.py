"""Live quotes are asked of the accounts whose adapter says it gives them (its capabilities),
not of a hard-coded list of couriers."""

from __future__ import annotations

import dataclasses

import pytest

from fulfillment.couriers.adapters.base import adapter_class, live_quote_couriers
from fulfillment.couriers.services import accounts as courier_service
from fulfillment.shipments.services.booking import rates_for_order
from tests.factories.couriers import make_account, make_service
from tests.factories.orders import make_order


def test_only_adapters_that_declare_live_quotes_are_live_quote_couriers():
    assert "sandbox" in live_quote_couriers()
    assert "manual" not in live_quote_couriers()
    assert adapter_class("sandbox").capabilities.live_quotes
    assert not adapter_class("manual").capabilities.live_quotes


@pytest.fixture
def asked(monkeypatch) -> list[str]:
    """The names of the accounts rates_for_order asks for a live quote (none is sent)."""
    names: list[str] = []

    class RecordingAdapter:
        def __init__(self, account) -> None:
            self.account = account

        def quote(self, request) -> list:
            names.append(self.account.name)
            return []

    monkeypatch.setattr(
        courier_service, "adapter_for", lambda account, **_: RecordingAdapter(account)
    )
    return names


def test_an_account_is_asked_for_a_live_quote_when_its_adapter_declares_the_capability(
    merchant_a, asked, monkeypatch
):
    merchant = merchant_a.merchant
    order = make_order(merchant)
    make_service(make_account(merchant, name="Local Co"), base_minor=500)

    rates_for_order(merchant=merchant, order=order)
    assert asked == []  # the manual adapter quotes from its rate card, not live

    manual = adapter_class("manual")
    live = dataclasses.replace(manual.capabilities, live_quotes=True)
    monkeypatch.setattr(manual, "capabilities", live)
    rates_for_order(merchant=merchant, order=order)
    assert asked == ["Local Co"]
