"""Days are the merchant's local days: the points' shares count the orders between local
midnights (not UTC ones), a shift counts on its own date, and a point with no hub, no shift and
no pick-up is advised from the shop's average shift."""

import datetime as dt
import zoneinfo

import pytest

from fulfillment.capacity.selectors import capacity_outlook, point_shares
from fulfillment.models import Allocation
from fulfillment.orders.services.orders import create_order
from merchant.selectors.demand import SHARE_DAYS
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import order_data, stock

from .conftest import TODAY, TOMORROW

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_shares_count_orders_between_the_merchants_local_midnights(shop):
    merchant, hub = shop["merchant"], shop["hub"]
    merchant.time_zone = "America/Chicago"  # UTC-6 in December
    merchant.save(update_fields=["time_zone"])
    tz = zoneinfo.ZoneInfo("America/Chicago")
    loop = make_point(merchant, name="Loop", postal_code="60601")
    at_hub, at_loop = make_product(merchant), make_product(merchant)
    stock(merchant, hub, at_hub, 10)
    stock(merchant, loop, at_loop, 10)
    hub_order, _ = create_order(merchant=merchant, data=order_data((at_hub.sku, 1)))
    loop_order, _ = create_order(merchant=merchant, data=order_data((at_loop.sku, 1)))
    allocations = Allocation.objects.for_merchant(merchant)

    def place(hub_at: dt.datetime, loop_at: dt.datetime) -> dict[int, float]:
        allocations.filter(order=hub_order).update(created_at=hub_at)
        allocations.filter(order=loop_order).update(created_at=loop_at)
        return point_shares(merchant, today=TODAY, points=[hub, loop])[0]

    end = dt.datetime.combine(TOMORROW, dt.time(0), tzinfo=tz)  # 06:00 UTC
    # 23:59 local today counts; 00:00 local tomorrow (06:00 UTC) does not.
    assert place(end - dt.timedelta(minutes=1), end) == {hub.pk: 1.0}
    # 04:00 UTC tomorrow is 22:00 local today: it counts although its UTC date is tomorrow.
    late = dt.datetime.combine(TOMORROW, dt.time(4), tzinfo=dt.UTC)
    assert place(late, end + dt.timedelta(hours=1)) == {hub.pk: 1.0}
    start = dt.datetime.combine(TODAY - dt.timedelta(days=SHARE_DAYS), dt.time(0), tzinfo=tz)
    # The window's first local midnight counts, the minute before it does not.
    assert place(start, start - dt.timedelta(minutes=1)) == {hub.pk: 1.0}
    assert place(start, start) == {hub.pk: 0.5, loop.pk: 0.5}


def test_a_point_with_no_hub_no_shift_and_no_pickup_is_advised_from_the_average_shift(shop):
    merchant = shop["merchant"]
    bare = make_point(merchant, name="Annex", postal_code="60601")
    outlook = capacity_outlook(merchant, today=TODAY)
    annex = next(p for p in outlook.points if p.point.pk == bare.pk)
    hub = next(p for p in outlook.points if p.point.pk == shop["hub"].pk)
    # Shares with no allocations: even over the two active points.
    assert outlook.share_basis == "even" and annex.share == 0.5
    assert all(d.drivers == [] and d.pickups == [] and d.capacity == 0 for d in annex.days)
    # Its average shift is the shop's (the hub's drivers), not zero: the advice is a number.
    assert annex.average_shift == hub.average_shift > 0
    busy = [d for d in annex.days if d.expected > 0]
    assert busy and all(d.status == "short" for d in busy)
    day = busy[0]
    assert day.drivers_to_add == -(-day.expected // int(annex.average_shift))
    assert "no driver or courier pick-up is booked" in day.text
