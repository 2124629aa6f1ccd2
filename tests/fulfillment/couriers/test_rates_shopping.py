"""Rate shopping: eligibility, prices, windows, each rule with its why, tolerance, override."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError

from fulfillment.couriers.adapters import Parcel
from fulfillment.couriers.selectors import rate_book, rate_input_for_order
from fulfillment.couriers.services.accounts import create_area, set_rule
from fulfillment.couriers.services.rates import (
    RateBook,
    RateInput,
    ServiceEntry,
    override,
    price_minor,
    shop,
)
from fulfillment.shipments.services.booking import rates_for_order
from tests.factories.couriers import make_account, make_service
from tests.factories.orders import make_order

# A Tuesday, 10:00 in Chicago.
NOON_UTC = dt.datetime(2025, 6, 3, 15, 0, tzinfo=dt.UTC)
LINCOLN_PARK = (41.9214, -87.6513)
SMALL = Parcel(weight_g=500, length_mm=200, width_mm=150, height_mm=100)


def entry(**fields) -> ServiceEntry:
    values = dict(
        account_id=1, account_name="Acme", courier="manual", currency="USD", service_id=1,
        level="next_day", code="nd", name="Next day", transit_hours=24,
        pickup_cutoff=dt.time(17), max_weight_g=None, max_dims_mm=None, base_minor=500,
        per_km_minor=0, per_kg_minor=0, size_surcharges=(), fuel_pct=0.0, minimum_minor=0,
        areas=(),
    )  # fmt: skip
    values.update(fields)
    return ServiceEntry(**values)


def test_price_adds_distance_billable_weight_size_tier_fuel_and_minimum():
    service = entry(
        base_minor=400,
        per_km_minor=10,
        per_kg_minor=50,
        size_surcharges=((5000, 300),),
        fuel_pct=10.0,
        minimum_minor=0,
    )
    # 600×400×300 mm = 72 000 cm³ → 14.4 kg dimensional (over 5 kg tier), billable 15 kg.
    bulky = Parcel(weight_g=2000, length_mm=600, width_mm=400, height_mm=300)
    assert price_minor(service, bulky, 10_000) == round((400 + 100 + 15 * 50 + 300) * 1.1)
    assert price_minor(entry(base_minor=100, minimum_minor=450), SMALL, 0) == 450


@pytest.fixture
def shop_setup(merchant_a):
    merchant = merchant_a.merchant
    merchant.time_zone = "America/Chicago"
    merchant.save()
    order = make_order(merchant)  # Lincoln Park, 60614, next day
    return merchant, order


def test_every_rule_picks_and_says_why(shop_setup):
    merchant, order = shop_setup
    cheap = make_account(merchant, name="Cheap Co")
    fast = make_account(merchant, name="Fast Co")
    make_service(cheap, base_minor=500, transit_hours=48, level="next_day")
    make_service(fast, base_minor=540, transit_hours=4, level="same_day", code="fast-sd")
    inp = rate_input_for_order(order)

    result = shop(rate_book(merchant), inp, NOON_UTC)
    assert result.chosen.account_name == "Cheap Co"
    assert "Cheapest of 2 option(s)" in result.why and "$0.40 less" in result.why

    set_rule(merchant=merchant, rule="fastest")
    result = shop(rate_book(merchant), inp, NOON_UTC)
    assert result.chosen.account_name == "Fast Co"
    assert result.why.startswith("Fastest: Fast Co")

    set_rule(merchant=merchant, rule="preferred", preferred_account=fast, tolerance_pct=10)
    result = shop(rate_book(merchant), inp, NOON_UTC)
    assert result.chosen.account_name == "Fast Co"
    assert "within 10% of the cheapest ($5.00)" in result.why

    set_rule(merchant=merchant, rule="preferred", preferred_account=fast, tolerance_pct=5)
    result = shop(rate_book(merchant), inp, NOON_UTC)
    assert result.chosen.account_name == "Cheap Co"
    assert "more than 5% above the cheapest" in result.why


def test_best_on_time_rule_uses_the_record_and_falls_back_without_one():
    inp = RateInput(
        origin=None, latitude=None, longitude=None, zip_code="60614", parcel=SMALL,
        service_level="next_day",
    )  # fmt: skip
    from fulfillment.couriers.services.rates import Origin, area_matcher

    zone = type("A", (), {"pk": -1, "kind": "zip", "zip_codes": ["60614"], "updated_at": 1})()
    areas = (area_matcher(zone),)
    origin = Origin(1, "Hub", 41.88, -87.63, None, {}, {})
    inp = RateInput(origin, 41.92, -87.65, "60614", SMALL, "next_day")
    services = (
        entry(account_id=1, service_id=1, account_name="Cheap", base_minor=400, areas=areas),
        entry(account_id=2, service_id=2, account_name="Steady", base_minor=600, areas=areas),
    )
    book = RateBook(1, "America/Chicago", "USD", services, rule="best_on_time")
    result = shop(book, inp, NOON_UTC)
    assert result.chosen.account_name == "Cheap"
    assert result.why.startswith("No option has an on-time record yet")

    book = RateBook(
        1, "America/Chicago", "USD", services, rule="best_on_time",
        on_time={(1, 1): (0.70, 40), (2, 2): (0.97, 30)},
    )  # fmt: skip
    result = shop(book, inp, NOON_UTC)
    assert result.chosen.account_name == "Steady"
    assert "97% of 30 parcels on time (next best 70%)" in result.why


def test_ineligible_options_are_listed_with_their_reason(shop_setup):
    merchant, order = shop_setup
    elsewhere = make_account(merchant, name="Elsewhere", area=False)
    create_area(account=elsewhere, kind="zip", zip_codes="10001 10002")
    make_service(elsewhere)
    polygon_far = make_account(merchant, name="Suburbs", area=False)
    create_area(
        account=polygon_far,
        kind="polygon",
        polygon=json.dumps(
            {
                "type": "Polygon",
                "coordinates": [
                    [[-88.2, 41.5], [-88.0, 41.5], [-88.0, 41.7], [-88.2, 41.7], [-88.2, 41.5]]
                ],
            }
        ),
    )
    make_service(polygon_far)
    heavy_limit = make_service(make_account(merchant, name="Light only"), max_weight_g=100)
    tiny = make_service(
        make_account(merchant, name="Tiny boxes"),
        max_length_mm=100, max_width_mm=100, max_height_mm=100,
    )  # fmt: skip
    late = make_service(
        make_account(merchant, name="Early bird"), level="same_day", code="sd",
        transit_hours=4, pickup_cutoff=dt.time(9),
    )  # fmt: skip
    ok_polygon = make_account(merchant, name="City polygon", area=False)
    create_area(
        account=ok_polygon,
        kind="polygon",
        polygon={
            "type": "Polygon",
            "coordinates": [
                [[-87.8, 41.8], [-87.5, 41.8], [-87.5, 42.0], [-87.8, 42.0], [-87.8, 41.8]]
            ],
        },
    )
    make_service(ok_polygon)
    ok_zip = make_account(merchant, name="Lincoln Park ZIP", area=False)
    create_area(account=ok_zip, kind="zip", zip_codes="60614, 60657")
    make_service(ok_zip)

    result = shop(rate_book(merchant), rate_input_for_order(order), NOON_UTC)
    by_name = {o.account_name: o for o in result.options}
    assert "outside its service area" in by_name["Elsewhere"].refusal
    assert "outside its service area" in by_name["Suburbs"].refusal
    assert "over its 0.1 kg limit" in by_name["Light only"].refusal
    assert "size limit" in by_name["Tiny boxes"].refusal
    assert "same-day pick-up cut-off (09:00) has passed" in by_name["Early bird"].refusal
    assert by_name["City polygon"].eligible and by_name["Lincoln Park ZIP"].eligible
    assert {heavy_limit.pk, tiny.pk, late.pk}.isdisjoint({o.service_id for o in result.eligible})
    assert result.options[0].eligible and not result.options[-1].eligible


def test_next_day_service_after_its_cutoff_picks_up_the_next_day_with_an_aware_window(
    shop_setup,
):
    merchant, order = shop_setup
    make_service(make_account(merchant), pickup_cutoff=dt.time(9), transit_hours=24)
    option = shop(rate_book(merchant), rate_input_for_order(order), NOON_UTC).chosen
    assert option.window.start.tzinfo is not None
    # picked up Wed 09:00 → delivered Thu between 09:00 and 21:00 Chicago time.
    assert option.window.start.isoformat() == "2025-06-05T09:00:00-05:00"
    assert option.window.end.isoformat() == "2025-06-05T21:00:00-05:00"


def test_staff_can_override_with_an_eligible_option_only(shop_setup):
    merchant, order = shop_setup
    make_service(make_account(merchant, name="A"), base_minor=400)
    other = make_service(make_account(merchant, name="B"), base_minor=900)
    blocked = make_service(make_account(merchant, name="C"), max_weight_g=1)
    result = rates_for_order(merchant=merchant, order=order, now=NOON_UTC)
    assert override(result, f"svc-{other.pk}").account_name == "B"
    with pytest.raises(ValidationError) as info:
        override(result, f"svc-{blocked.pk}")
    assert "option_id" in info.value.message_dict


def test_an_order_slower_than_promised_is_chosen_only_when_nothing_keeps_the_promise(
    shop_setup,
):
    merchant, order = shop_setup
    make_service(make_account(merchant, name="Slow"), level="economy", code="eco", base_minor=1)
    result = shop(rate_book(merchant), rate_input_for_order(order), NOON_UTC)
    assert result.chosen.account_name == "Slow"
    assert result.why.startswith("No option keeps the promised next day delivery")
    make_service(make_account(merchant, name="On promise"), base_minor=800)
    result = shop(rate_book(merchant), rate_input_for_order(order), NOON_UTC)
    assert result.chosen.account_name == "On promise"
