"""Who chose a shipment's option: the rule, unless staff picked a different one."""

from __future__ import annotations

import datetime as dt

import pytest

from fulfillment.models import Shipment
from fulfillment.shipments.services.booking import rates_for_order, request_shipment
from tests.factories.couriers import make_account, make_service
from tests.factories.orders import make_order

pytestmark = pytest.mark.django_db

NOON_UTC = dt.datetime(2025, 6, 3, 15, 0, tzinfo=dt.UTC)  # a Tuesday, 10:00 in Chicago


@pytest.fixture
def two_services(merchant_a):
    merchant = merchant_a.merchant
    merchant.time_zone = "America/Chicago"
    merchant.save()
    cheap = make_service(make_account(merchant, name="Cheap Co"), base_minor=400)
    dear = make_service(make_account(merchant, name="Dear Co"), base_minor=900)
    return merchant, cheap, dear


def test_choosing_the_rules_own_option_from_the_list_is_recorded_as_the_rule(two_services):
    merchant, cheap, _ = two_services
    order = make_order(merchant)
    result = rates_for_order(merchant=merchant, order=order, now=NOON_UTC)
    assert result.chosen.option_id == f"svc-{cheap.pk}"

    shipment = request_shipment(
        merchant=merchant, order=order, option_id=result.chosen.option_id, now=NOON_UTC
    )
    assert shipment.chosen_by == Shipment.ChosenBy.RULE
    assert shipment.service_id == cheap.pk
    assert not shipment.why.startswith("Chosen by staff")


def test_choosing_another_option_is_recorded_as_a_staff_override(two_services):
    merchant, _, dear = two_services
    order = make_order(merchant)
    shipment = request_shipment(
        merchant=merchant, order=order, option_id=f"svc-{dear.pk}", now=NOON_UTC
    )
    assert shipment.chosen_by == Shipment.ChosenBy.STAFF
    assert shipment.service_id == dear.pk
    assert shipment.why.startswith("Chosen by staff instead of the rule's pick")
