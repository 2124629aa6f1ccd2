"""The 14 days per point from the database: the forecast split by the points' shares, the
shifts at their hub, the booked pick-ups on their days, and the advice; fixed TODAY."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fulfillment.capacity.selectors import capacity_outlook, fleet_pace, point_shares
from fulfillment.capacity.services import save_pickup
from fulfillment.models import Allocation, Route, RoutePlan, RouteStop
from fulfillment.orders.services.orders import create_order
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import order_data, stock

from .conftest import TODAY, TOMORROW, demand, shift

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_tomorrow_two_drivers_and_a_pick_up_fall_short_of_100_parcels(shop):
    merchant, hub = shop["merchant"], shop["hub"]
    save_pickup(
        merchant=merchant, point=hub, account=shop["parcel"], weekdays=[TOMORROW.weekday()],
        max_parcels=10, today=TODAY,
    )  # fmt: skip
    outlook = capacity_outlook(merchant, today=TODAY)
    assert outlook.share_basis == "even" and outlook.pace.basis == "setting"
    assert outlook.pace.stops_per_hour == 6.0
    (point,) = outlook.points
    assert point.point == hub and point.share == 1.0
    assert [d.day for d in point.days] == [TODAY + dt.timedelta(days=i) for i in range(14)]
    day = point.days[1]
    # 7.5 working hours × 6 stops = 45, but 20 parcels × 2 waves = 40 each; + the pick-up.
    assert [s.parcels for s in day.drivers] == [40, 40]
    assert (day.expected, day.capacity, day.shortfall, day.drivers_to_add) == (100, 90, 10, 1)
    # The cheapest same-day service serving the hub's ZIP, not the cheaper next-day one, nor
    # the own-fleet service the hub's own delivery made.
    assert day.courier.name == "Bike courier · Same day"
    assert day.text == (
        "Tomorrow (Tue Dec 8): 100 parcels expected, your 2 drivers and the Parcel Co pick-up "
        "cover 90: add 1 driver or move 10 to Bike courier · Same day."
    )
    # Wednesday: nobody works, nothing is booked.
    assert point.days[2].capacity == 0 and point.days[2].drivers_to_add == 3
    assert "no driver or courier pick-up is booked: add 3 drivers" in point.days[2].text


def test_a_pick_up_on_a_date_counts_that_day_only_and_a_paused_one_never(shop):
    merchant, hub = shop["merchant"], shop["hub"]
    friday = TODAY + dt.timedelta(days=4)
    save_pickup(merchant=merchant, point=hub, account=shop["bike"], dates=[friday.isoformat()],
                max_parcels=120, today=TODAY)  # fmt: skip
    save_pickup(merchant=merchant, point=hub, account=shop["parcel"], weekdays=[0, 1, 2, 3, 4],
                max_parcels=500, is_active=False, today=TODAY)  # fmt: skip
    days = capacity_outlook(merchant, today=TODAY).points[0].days
    assert [d.pickup_parcels for d in days[:7]] == [0, 0, 0, 0, 120, 0, 0]
    assert days[4].status == "ok" and days[4].spare == 20
    assert days[4].text == (
        "Friday Dec 11: 100 parcels expected, the Bike courier pick-up covers 120: 20 to spare."
    )


def test_a_shift_from_home_counts_at_the_nearest_hub_and_inactive_drivers_not_at_all(shop):
    merchant = shop["merchant"]
    other = make_point(merchant, name="Loop", postal_code="60601")
    home = shift(merchant, None, name="Dana Kim", day=TOMORROW, start_latitude=41.93,
                 start_longitude=-87.64)  # fmt: skip
    gone = shift(merchant, other, name="Gone", day=TOMORROW)
    gone.driver.is_active = False
    gone.driver.save()
    outlook = capacity_outlook(merchant, today=TODAY)
    by_name = {p.point.name: p for p in outlook.points}
    drivers = by_name["Lincoln Park"].days[1].drivers
    assert [s.driver for s in drivers] == ["Maya Ortiz", "Luis Ramirez", "Dana Kim"]
    assert home.start_point is None
    assert by_name["Loop"].days[1].drivers == []


def test_each_point_gets_its_share_of_the_orders_it_shipped_in_the_last_eight_weeks(shop):
    merchant, hub = shop["merchant"], shop["hub"]
    loop = make_point(merchant, name="Loop", postal_code="60601")
    at_hub, at_loop = make_product(merchant), make_product(merchant)
    stock(merchant, hub, at_hub, 10)
    stock(merchant, loop, at_loop, 10)
    for sku in (at_hub.sku, at_hub.sku, at_hub.sku, at_loop.sku):
        create_order(merchant=merchant, data=order_data((sku, 1)))
    Allocation.objects.for_merchant(merchant).update(
        created_at=dt.datetime(2026, 11, 30, 15, tzinfo=dt.UTC)
    )
    shares, basis = point_shares(merchant, today=TODAY, points=[hub, loop])
    assert basis == "allocations" and shares == {hub.pk: 0.75, loop.pk: 0.25}
    outlook = capacity_outlook(merchant, today=TODAY)
    expected = {p.point.name: p.days[1].expected for p in outlook.points}
    assert expected == {"Lincoln Park": 75, "Loop": 25}
    # A closed point's orders are shared by the points still open.
    loop.is_active = False
    loop.save()
    assert point_shares(merchant, today=TODAY, points=[hub]) == ({hub.pk: 1.0}, "allocations")
    # Allocations older than eight weeks do not count.
    Allocation.objects.for_merchant(merchant).update(
        created_at=dt.datetime(2026, 10, 1, 15, tzinfo=dt.UTC)
    )
    assert point_shares(merchant, today=TODAY, points=[hub, loop])[1] == "even"


def test_the_outlook_costs_the_same_queries_for_one_point_or_many(shop):
    merchant = shop["merchant"]
    with CaptureQueriesContext(connection) as one:
        capacity_outlook(merchant, today=TODAY)
    for n in range(6):
        point = make_point(merchant, name=f"Extra {n}", postal_code="60622")
        shift(merchant, point, name=f"Extra driver {n}", day=TOMORROW)
    with CaptureQueriesContext(connection) as seven:
        outlook = capacity_outlook(merchant, today=TODAY)
    assert len(outlook.points) == 7
    assert len(seven.captured_queries) == len(one.captured_queries)


def test_another_shops_shifts_pick_ups_and_orders_never_count(shop, merchant_b):
    other = merchant_b.merchant
    other_hub = make_point(other, name="Their hub", postal_code="60614")
    demand(other, per_day=500)
    shift(other, other_hub, name="Their driver", day=TOMORROW)
    outlook = capacity_outlook(shop["merchant"], today=TODAY)
    assert [p.point.name for p in outlook.points] == ["Lincoln Park"]
    assert outlook.points[0].days[1].expected == 100
    assert len(outlook.points[0].days[1].drivers) == 2


def test_a_shop_with_no_history_no_drivers_and_no_pick_ups_expects_nothing(merchant_a):
    merchant = merchant_a.merchant
    make_point(merchant, name="Quiet")
    outlook = capacity_outlook(merchant, today=TODAY)
    assert not outlook.has_history and not outlook.has_drivers and not outlook.has_pickups
    assert all(d.status == "idle" and d.capacity == 0 for d in outlook.points[0].days)
    assert outlook.points[0].days[0].text == "Today (Mon Dec 7): no parcels expected."


def test_the_fleets_own_pace_comes_from_the_stops_its_past_shifts_did(shop):
    merchant, hub = shop["merchant"], shop["hub"]
    order = create_order(merchant=merchant, data=_stocked_order(merchant, hub))[0]
    for n, states in enumerate(
        (["delivered"] * 9 + ["failed"], ["delivered"] * 10, ["safe_place"] * 10 + ["pending"])
    ):
        past = shift(merchant, hub, name=f"Past {n}", day=TODAY - dt.timedelta(days=n + 1))
        plan = RoutePlan.objects.create(merchant=merchant, date=past.date, state="done")
        route = Route.objects.create(merchant=merchant, plan=plan, driver=past.driver,
                                     vehicle=past.vehicle, shift=past, hub=hub)  # fmt: skip
        # One order on every stop: the pace counts stops, and a stop is unique per plan only.
        for i, state in enumerate(states):
            sub_plan = (
                plan
                if i == 0
                else RoutePlan.objects.create(merchant=merchant, date=past.date, state="done")
            )
            sub_route = route if i == 0 else Route.objects.create(
                merchant=merchant, plan=sub_plan, driver=past.driver, vehicle=past.vehicle,
                shift=past, hub=hub,
            )  # fmt: skip
            RouteStop.objects.create(merchant=merchant, plan=sub_plan, route=sub_route,
                                     sequence=1, order=order, latitude=41.9, longitude=-87.6,
                                     state=state)  # fmt: skip
    # 30 stops done in three shifts of 7.5 working hours: 30 / 22.5 = 1.33 an hour.
    pace = fleet_pace(merchant, today=TODAY)
    assert (pace.basis, pace.shifts, pace.stops) == ("history", 3, 30)
    assert round(pace.stops_per_hour, 3) == 1.333
    assert "3 shifts (30 stops)" in pace.text
    tomorrow = capacity_outlook(merchant, today=TODAY).points[0].days[1]
    assert [s.parcels for s in tomorrow.drivers] == [10, 10]  # floor(7.5 × 1.33)


def _stocked_order(merchant, hub):
    product = make_product(merchant)
    stock(merchant, hub, product, 5)
    return order_data((product.sku, 1))
