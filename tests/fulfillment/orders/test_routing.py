"""Routing: the nearest eligible point with every line, the smallest split otherwise, same-day
cut-offs and opening hours, and no overselling under concurrent orders on PostgreSQL."""

import datetime as dt
import threading
import zoneinfo
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from fulfillment.models import Allocation, Order
from fulfillment.orders.services.orders import advance_order, create_order, reroute_order
from fulfillment.orders.services.routing import Unroutable, same_day_refusal
from merchant.models import StockLevel
from merchant.services.stock import ledger_mismatches
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import order_data, stock

ALL_WEEK = {day: [["00:00", "23:59"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def allocated(order: Order) -> dict[str, dict[str, int]]:
    """{point name: {sku: quantity}} of the order's live allocations."""
    result: dict[str, dict[str, int]] = {}
    for a in Allocation.objects.filter(order=order, state="reserved").select_related(
        "point", "line__product"
    ):
        result.setdefault(a.point.name, {})[a.line.product.sku] = a.quantity
    return result


@pytest.fixture
def merchant(merchant_a):
    return merchant_a.merchant


@pytest.fixture
def mug(merchant):
    return make_product(merchant, sku="MUG")


@pytest.fixture
def tea(merchant):
    return make_product(merchant, sku="TEA")


@pytest.mark.sqlite
@pytest.mark.django_db
def test_the_nearest_point_holding_every_line_is_chosen(merchant, mug, tea):
    # The destination is 60614 (Lincoln Park).
    near = make_point(merchant, name="Lincoln Park", postal_code="60614")
    middle = make_point(merchant, name="Wicker Park", postal_code="60622")
    far = make_point(merchant, name="Chinatown", postal_code="60616")
    stock(merchant, near, mug, 5)  # nearest, but no tea
    for point in (middle, far):
        stock(merchant, point, mug, 5)
        stock(merchant, point, tea, 5)

    order, created = create_order(merchant=merchant, data=order_data(("MUG", 1), ("TEA", 2)))

    assert created and order.status == "allocated"
    assert allocated(order) == {"Wicker Park": {"MUG": 1, "TEA": 2}}
    a = Allocation.objects.filter(order=order).first()
    assert 2_000 < a.distance_m < 5_000 and a.rank == 2
    assert "Nearest point holding all 2 lines" in a.why
    assert StockLevel.objects.get(point=middle, product=tea).reserved == 2
    assert StockLevel.objects.get(point=near, product=mug).reserved == 0


@pytest.mark.sqlite
@pytest.mark.django_db
def test_an_order_is_split_only_when_no_single_point_holds_it(merchant, mug, tea):
    a = make_point(merchant, name="Lincoln Park", postal_code="60614")
    b = make_point(merchant, name="Logan Square", postal_code="60647")
    stock(merchant, a, mug, 5)
    stock(merchant, b, tea, 5)

    order, _ = create_order(merchant=merchant, data=order_data(("MUG", 1), ("TEA", 1)))

    assert allocated(order) == {"Lincoln Park": {"MUG": 1}, "Logan Square": {"TEA": 1}}
    assert "split over 2 points" in Allocation.objects.filter(order=order).first().why


@pytest.mark.sqlite
@pytest.mark.django_db
def test_a_split_uses_the_fewest_points_even_if_a_nearer_point_holds_one_line(merchant):
    skus = ["A", "B", "C"]
    for sku in skus:
        make_product(merchant, sku=sku)
    products = {p.sku: p for p in merchant_products(merchant)}
    nearest = make_point(merchant, name="Nearest", postal_code="60614")
    second = make_point(merchant, name="Second", postal_code="60622")
    third = make_point(merchant, name="Third", postal_code="60601")
    fourth = make_point(merchant, name="Fourth", postal_code="60616")
    stock(merchant, nearest, products["A"], 5)  # one line, nearest
    stock(merchant, second, products["B"], 5)  # one line
    stock(merchant, third, products["A"], 5)  # two lines together
    stock(merchant, third, products["B"], 5)
    stock(merchant, fourth, products["C"], 5)

    order, _ = create_order(merchant=merchant, data=order_data(("A", 1), ("B", 1), ("C", 1)))

    # Nearest + Second + Fourth would be three points; Third + Fourth is two.
    assert allocated(order) == {"Third": {"A": 1, "B": 1}, "Fourth": {"C": 1}}


@pytest.mark.sqlite
@pytest.mark.django_db
def test_one_line_is_split_across_points_when_no_point_has_enough(merchant, mug):
    near = make_point(merchant, name="Lincoln Park", postal_code="60614")
    far = make_point(merchant, name="Chinatown", postal_code="60616")
    stock(merchant, near, mug, 3)
    stock(merchant, far, mug, 10)

    order, _ = create_order(merchant=merchant, data=order_data(("MUG", 5)))

    # Chinatown alone could send 5: one point beats a split.
    assert allocated(order) == {"Chinatown": {"MUG": 5}}

    order2, _ = create_order(merchant=merchant, data=order_data(("MUG", 7)))
    assert allocated(order2) == {"Lincoln Park": {"MUG": 3}, "Chinatown": {"MUG": 4}}


@pytest.mark.sqlite
@pytest.mark.django_db
def test_inactive_and_candidate_points_are_never_used(merchant, mug):
    make_point(merchant, name="Closed down", postal_code="60614", is_active=False)
    make_point(merchant, name="Candidate", postal_code="60614", role="candidate")
    open_point = make_point(merchant, name="Open", postal_code="60616")
    for point in merchant_points(merchant):
        stock(merchant, point, mug, 5)

    order, _ = create_order(merchant=merchant, data=order_data(("MUG", 1)))

    assert allocated(order) == {open_point.name: {"MUG": 1}}


@pytest.mark.sqlite
@pytest.mark.django_db
def test_same_day_skips_a_point_past_its_cut_off(merchant, mug):
    near = make_point(
        merchant, name="Near, past cut-off", postal_code="60614", same_day_cutoff=dt.time(0, 0)
    )
    far = make_point(merchant, name="Far, open", postal_code="60616", same_day_cutoff=dt.time.max)
    stock(merchant, near, mug, 5)
    stock(merchant, far, mug, 5)

    same_day = order_data(("MUG", 1), delivery={"service_level": "same_day"})
    order, _ = create_order(merchant=merchant, data=same_day)
    assert allocated(order) == {"Far, open": {"MUG": 1}}
    assert any(
        c["name"] == "Near, past cut-off" and not c["eligible"] and "cut-off" in c["note"]
        for c in order.routing["considered"]
    )

    next_day, _ = create_order(merchant=merchant, data=order_data(("MUG", 1)))
    assert allocated(next_day) == {"Near, past cut-off": {"MUG": 1}}


@pytest.mark.sqlite
@pytest.mark.django_db
def test_same_day_skips_a_point_closed_today(merchant, mug):
    today = dt.datetime.now(zoneinfo.ZoneInfo(merchant.time_zone)).strftime("%a").lower()
    other_days = {day: hours for day, hours in ALL_WEEK.items() if day != today}
    near = make_point(
        merchant,
        name="Near, closed today",
        postal_code="60614",
        same_day_cutoff=dt.time.max,
        opening_hours=other_days,
    )
    far = make_point(
        merchant,
        name="Far, open",
        postal_code="60616",
        same_day_cutoff=dt.time.max,
        opening_hours=ALL_WEEK,
    )
    stock(merchant, near, mug, 5)
    stock(merchant, far, mug, 5)

    order, _ = create_order(
        merchant=merchant, data=order_data(("MUG", 1), delivery={"service_level": "same_day"})
    )

    assert allocated(order) == {"Far, open": {"MUG": 1}}


@pytest.mark.sqlite
@pytest.mark.django_db
def test_same_day_is_refused_when_only_points_past_cut_off_hold_the_stock(merchant, mug):
    point = make_point(merchant, postal_code="60614", same_day_cutoff=dt.time(0, 0))
    stock(merchant, point, mug, 5)

    with pytest.raises(Unroutable) as refused:
        create_order(
            merchant=merchant, data=order_data(("MUG", 1), delivery={"service_level": "same_day"})
        )

    assert refused.value.code == "service_not_available"
    assert not Order.objects.exists()


@pytest.mark.sqlite
def test_same_day_refusal_reads_cut_off_and_opening_hours_in_local_time():
    from merchant.models import StoragePoint

    point = StoragePoint(
        name="P",
        same_day_cutoff=dt.time(14, 0),
        opening_hours={"mon": [["09:00", "12:00"], ["13:00", "18:00"]]},
    )
    chicago = zoneinfo.ZoneInfo("America/Chicago")
    monday_10 = dt.datetime(2025, 6, 2, 10, 0, tzinfo=chicago)
    assert same_day_refusal(point, monday_10) == ""
    assert "cut-off" in same_day_refusal(point, monday_10.replace(hour=14))
    assert "closed today" in same_day_refusal(point, monday_10 + dt.timedelta(days=1))
    point.same_day_cutoff = None
    assert "does not ship same day" in same_day_refusal(point, monday_10)


@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_for_the_last_units_never_oversell(merchant_a):
    assert connection.vendor == "postgresql"
    merchant = merchant_a.merchant
    mug = make_product(merchant, sku="MUG")
    near = make_point(merchant, name="Near", postal_code="60614")
    far = make_point(merchant, name="Far", postal_code="60616")
    stock(merchant, near, mug, 4)
    stock(merchant, far, mug, 3)
    start = threading.Barrier(12)

    def attempt(n: int) -> str:
        try:
            if n < 12:
                start.wait()
            create_order(merchant=merchant, data=order_data(("MUG", 1)))
            return "created"
        except Unroutable as refused:
            assert refused.code == "out_of_stock"
            return "refused"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(attempt, range(30)))

    assert outcomes.count("created") == 7
    assert outcomes.count("refused") == 23
    assert Order.objects.count() == 7
    for level in StockLevel.objects.all():
        assert level.reserved == level.on_hand
    assert ledger_mismatches(merchant) == []


@pytest.mark.sqlite
@pytest.mark.django_db
def test_staff_can_reroute_an_order_to_another_point(merchant, mug):
    near = make_point(merchant, name="Near", postal_code="60614")
    far = make_point(merchant, name="Far", postal_code="60616")
    stock(merchant, near, mug, 5)
    stock(merchant, far, mug, 5)
    order, _ = create_order(merchant=merchant, data=order_data(("MUG", 2)))
    assert allocated(order) == {"Near": {"MUG": 2}}

    reroute_order(order=order, point=far, user=None)

    assert allocated(order) == {"Far": {"MUG": 2}}
    assert StockLevel.objects.get(point=near).reserved == 0
    assert StockLevel.objects.get(point=far).reserved == 2
    order.refresh_from_db()
    assert order.events.last().note.startswith("Re-routed by staff to Far")
    reroute_order(order=order, user=None)  # back by the rule
    assert allocated(order) == {"Near": {"MUG": 2}}
    assert ledger_mismatches(merchant) == []


@pytest.mark.sqlite
@pytest.mark.django_db
def test_rerouting_to_a_point_without_stock_changes_nothing(merchant, mug):
    near = make_point(merchant, name="Near", postal_code="60614")
    empty = make_point(merchant, name="Empty", postal_code="60616")
    stock(merchant, near, mug, 5)
    order, _ = create_order(merchant=merchant, data=order_data(("MUG", 2)))

    with pytest.raises(Unroutable):
        reroute_order(order=order, point=empty, user=None)

    assert allocated(order) == {"Near": {"MUG": 2}}
    assert StockLevel.objects.get(point=near).reserved == 2


@pytest.mark.sqlite
@pytest.mark.django_db
def test_picking_takes_stock_off_the_shelf_and_cancelling_puts_it_back(merchant, mug):
    point = make_point(merchant, postal_code="60614")
    stock(merchant, point, mug, 5)
    order, _ = create_order(merchant=merchant, data=order_data(("MUG", 2)))

    advance_order(order=order, to_status="picked", user=None)
    level = StockLevel.objects.get(point=point)
    assert (level.on_hand, level.reserved) == (3, 0)

    advance_order(order=order, to_status="cancelled", user=None)
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (5, 0)
    assert ledger_mismatches(merchant) == []


@pytest.mark.sqlite
@pytest.mark.django_db
def test_only_allowed_status_transitions_happen(merchant, mug):
    from fulfillment.orders.services.orders import TransitionNotAllowed

    point = make_point(merchant, postal_code="60614")
    stock(merchant, point, mug, 5)
    order, _ = create_order(merchant=merchant, data=order_data(("MUG", 1)))

    with pytest.raises(TransitionNotAllowed):
        advance_order(order=order, to_status="delivered", user=None)
    for status in ("picked", "packed", "handed_over", "delivered"):
        order = advance_order(order=order, to_status=status, user=None)
    with pytest.raises(TransitionNotAllowed):
        advance_order(order=order, to_status="cancelled", user=None)
    assert [e.to_status for e in order.events.all()] == [
        "received",
        "allocated",
        "picked",
        "packed",
        "handed_over",
        "delivered",
    ]


def merchant_products(merchant):
    from merchant.models import Product

    return Product.objects.for_merchant(merchant)


def merchant_points(merchant):
    from merchant.models import StoragePoint

    return StoragePoint.objects.for_merchant(merchant)
