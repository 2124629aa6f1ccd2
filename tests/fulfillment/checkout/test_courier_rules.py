"""Courier rules per point and destination: the first that matches the order's point and ZIP
chooses (by its own rule or a given service), else the global rule; the why names the rule, and
a shipment booked by the rule (and so bulk ship, which books the same way) keeps that why."""

from __future__ import annotations

import datetime as dt

import pytest

from fulfillment.checkout.services.rules import parse_destinations, save_courier_rule
from fulfillment.couriers.services.rates import CourierRuleEntry, zip_in
from fulfillment.shipments.services.booking import rates_for_order, request_shipment
from tests.factories.couriers import make_account, make_service
from tests.factories.orders import make_order
from tests.fulfillment.checkout.conftest import api, post_json

NOON_UTC = dt.datetime(2025, 6, 3, 15, 0, tzinfo=dt.UTC)  # a Tuesday, 10:00 in Chicago


def test_zip_entries_match_a_zip_a_prefix_and_a_range_of_one_length():
    entries = parse_destinations("60601-60614, 607*, 10001 ,sw1a*")
    assert entries == ["10001", "60601-60614", "607*", "SW1A*"]
    assert zip_in(entries, "60605") and zip_in(entries, "60614") and zip_in(entries, "60601")
    assert not zip_in(entries, "60615") and not zip_in(entries, "60600")
    assert zip_in(entries, "60712") and zip_in(entries, "10001") and zip_in(entries, "sw1a 1aa")
    assert not zip_in(entries, "10002") and not zip_in(entries, "")
    rule = CourierRuleEntry(name="r", point_id=3, destinations=("606*",), rule="fastest")
    assert rule.matches(3, "60614") and not rule.matches(4, "60614")
    assert CourierRuleEntry(name="any", point_id=None, destinations=(), rule="x").matches(None, "")


@pytest.fixture
def two_couriers(merchant_a):
    merchant = merchant_a.merchant
    cheap = make_service(make_account(merchant, name="Slow Post"), name="Economy", base_minor=400)
    bike = make_service(
        make_account(merchant, name="Bike Crew"),
        name="Bike",
        level="same_day",
        transit_hours=3,
        pickup_cutoff=dt.time(23, 59),
        base_minor=1200,
    )
    return cheap, bike


@pytest.mark.django_db
def test_without_a_matching_rule_the_global_rule_chooses(merchant_a, two_couriers):
    cheap, bike = two_couriers
    order = make_order(merchant_a.merchant)  # ships from a point in 60614 to 60614
    save_courier_rule(
        merchant=merchant_a.merchant,
        data={"name": "Bikes to 60601", "destinations": "60601", "rule": "service",
              "preferred_service": bike.pk},
    )  # fmt: skip
    result = rates_for_order(merchant=merchant_a.merchant, order=order, live=False, now=NOON_UTC)
    assert result.chosen.service_id == cheap.pk
    assert result.why.startswith("Cheapest of")


@pytest.mark.django_db
def test_the_first_matching_rule_chooses_and_the_shipment_why_names_it(merchant_a, two_couriers):
    _, bike = two_couriers
    order = make_order(merchant_a.merchant)
    point = order.allocations.first().point
    other = make_order(merchant_a.merchant).allocations.first().point  # a second point
    client = api(merchant_a)
    elsewhere = post_json(
        client,
        "/api/v1/courier-rules",
        {"name": "From the other point", "point_id": other.pk, "rule": "fastest"},
    )
    assert elsewhere.status_code == 201, elsewhere.content
    bikes = post_json(
        client,
        "/api/v1/courier-rules",
        {"name": "Bike courier downtown", "point_id": point.pk,
         "destinations": ["60601-60614"], "rule": "service", "preferred_service_id": bike.pk},
    )  # fmt: skip
    assert bikes.status_code == 201, bikes.content
    post_json(client, "/api/v1/courier-rules", {"name": "Later", "rule": "cheapest"})
    result = rates_for_order(merchant=merchant_a.merchant, order=order, live=False, now=NOON_UTC)
    assert result.chosen.service_id == bike.pk
    assert result.why.startswith("Rule “Bike courier downtown”: ")
    assert result.rule == "service"  # the order page's "Rule: …" is the rule that chose
    shipment = request_shipment(merchant=merchant_a.merchant, order=order, now=NOON_UTC)
    assert shipment.service_id == bike.pk
    assert "Bike courier downtown" in shipment.why


@pytest.mark.django_db
def test_a_rule_whose_service_cannot_carry_falls_back_to_the_cheapest_and_says_so(
    merchant_a, two_couriers
):
    cheap, bike = two_couriers
    bike.max_weight_g = 1
    bike.save()
    order = make_order(merchant_a.merchant)
    save_courier_rule(
        merchant=merchant_a.merchant,
        data={"name": "Bikes", "rule": "service", "preferred_service": bike.pk},
    )
    result = rates_for_order(merchant=merchant_a.merchant, order=order, live=False, now=NOON_UTC)
    assert result.chosen.service_id == cheap.pk
    assert "Rule “Bikes”: its service cannot carry this order" in result.why


@pytest.mark.django_db
def test_hostile_courier_rules_are_422_and_another_merchants_ids_are_refused(
    merchant_a, merchant_b, two_couriers
):
    theirs = make_service(make_account(merchant_b.merchant), name="Theirs")
    client = api(merchant_a)
    bad = [
        ({"name": "x", "destinations": ["60614-606"]}, "destinations"),
        ({"name": "x", "destinations": ["<b>"]}, "destinations"),
        ({"name": "x", "rule": "service", "preferred_service_id": theirs.pk}, "preferred_service"),
        ({"name": "x", "rule": "preferred"}, "preferred_account"),
        ({"name": "x", "tolerance_pct": 501}, "tolerance_pct"),
        ({"name": "x", "point_id": 2**62}, "point"),
        ({"name": "", "rule": "cheapest"}, "name"),
    ]
    for body, field in bad:
        response = post_json(client, "/api/v1/courier-rules", body)
        assert response.status_code == 422, (body, response.content)
        assert response.json()["field"] == field
    assert client.get("/api/v1/courier-rules").json() == []
