"""Running routes: a new same-day order goes where it adds least without touching the stops
already done; address flags before dispatch; the pages answer another merchant with 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from fulfillment.fleet.dispatch.services import NotInserted, insert_order
from fulfillment.fleet.plans.services import editing, planning
from fulfillment.fleet.plans.services.flags import address_flags
from fulfillment.models import Order, Route, RoutePlan, RouteStop
from merchant.services.jobs import run_job
from tests.fulfillment.fleet.plans.factories import HUB, book_on_fleet, make_fleet, ring

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick_plans(settings):
    settings.NEARBOX_FLEET_PLAN_SECONDS = 0.5
    settings.NEARBOX_FLEET_OSRM_URL = ""
    settings.NEARBOX_FLEET_VALHALLA_URL = ""


def dispatched(fleet, wave=dt.time(10)) -> RoutePlan:
    plan = planning.start_plan(
        merchant=fleet.merchant, date=fleet.date, wave=wave, hubs=[fleet.hub]
    )
    run_job(plan.job_id)
    plan.refresh_from_db()
    assert plan.state == RoutePlan.State.READY
    return editing.dispatch_plan(plan=plan)


@pytest.mark.sqlite
def test_a_new_order_is_inserted_after_the_done_stops_and_re_times_the_rest(merchant_a):
    fleet = make_fleet(merchant_a.merchant, drivers=("car",))
    ring(fleet, 6, window=(10, 16))
    plan = dispatched(fleet)
    route = plan.routes.get()
    stops = list(route.stops.order_by("sequence"))
    # The driver left at 10:00 and delivered the first two; they are near the second one.
    now = fleet.at(10, 40)
    Route.objects.filter(pk=route.pk).update(
        state=Route.State.STARTED,
        started_at=fleet.at(10),
        latitude=stops[1].latitude,
        longitude=stops[1].longitude,
        position_at=now,
    )
    for stop in stops[:2]:
        RouteStop.objects.filter(pk=stop.pk).update(state=RouteStop.State.DELIVERED, done_at=now)
    done_ids = [s.pk for s in stops[:2]]
    # The new order sits right next to the first (done) stop: the cheapest place is still
    # among the pending ones.
    new = book_on_fleet(
        fleet, latitude=stops[0].latitude + 0.001, longitude=stops[0].longitude, window=(10, 16)
    )

    stop = insert_order(order=new, now=now)

    route.refresh_from_db()
    ordered = list(route.stops.order_by("sequence"))
    assert [s.pk for s in ordered[:2]] == done_ids  # done stops keep their places
    assert stop.sequence >= 3
    assert [s.sequence for s in ordered] == list(range(1, 8))
    pending = [s for s in ordered if s.state == RouteStop.State.PENDING]
    assert all(s.eta >= now for s in pending)
    assert [s.eta for s in pending] == sorted(s.eta for s in pending)


def test_an_order_that_fits_nowhere_is_refused_with_the_reason(merchant_a):
    fleet = make_fleet(merchant_a.merchant, drivers=("car",), parcels=2)
    ring(fleet, 2, window=(10, 16))
    dispatched(fleet)
    new = book_on_fleet(fleet, latitude=HUB[0] + 0.01, longitude=HUB[1], window=(10, 16))
    with pytest.raises(NotInserted) as refused:
        insert_order(order=new, now=fleet.at(9))
    assert "too much parcels" in str(refused.value)
    assert not RouteStop.objects.filter(order=new).exists()


def test_after_the_cut_off_nothing_is_inserted(merchant_a):
    fleet = make_fleet(merchant_a.merchant, drivers=("car",), cutoff=dt.time(12))
    ring(fleet, 1, window=(10, 16))
    dispatched(fleet)
    new = book_on_fleet(fleet, latitude=HUB[0] + 0.01, longitude=HUB[1], window=(10, 16))
    with pytest.raises(NotInserted, match="cut-off"):
        insert_order(order=new, now=fleet.at(13))


def test_address_problems_are_flagged_on_the_stops(merchant_a):
    fleet = make_fleet(merchant_a.merchant, drivers=("car",))
    good = book_on_fleet(fleet, latitude=HUB[0] + 0.01, longitude=HUB[1])
    centroid = book_on_fleet(
        fleet, latitude=HUB[0] + 0.02, longitude=HUB[1], coordinates_source="geocoder:zcta"
    )
    po_box = book_on_fleet(fleet, latitude=HUB[0], longitude=HUB[1] + 0.02, line1="PO Box 123")
    tower = book_on_fleet(
        fleet, latitude=HUB[0], longitude=HUB[1] - 0.02, line1="400 E Ohio St Apartments"
    )
    no_phone = book_on_fleet(fleet, latitude=HUB[0] - 0.01, longitude=HUB[1], shopper_phone="")
    with_unit = Order(
        line1="400 E Ohio St Apartments",
        line2="Apt 12",
        shopper_phone="1",
        coordinates_source="shop",
    )
    assert address_flags(with_unit) == []

    plan = planning.start_plan(
        merchant=fleet.merchant, date=fleet.date, wave=dt.time(10), hubs=[fleet.hub]
    )
    run_job(plan.job_id)
    flags = {
        s.order_id: [f["code"] for f in s.address_flags]
        for s in RouteStop.objects.filter(plan=plan)
    }
    assert flags[good.pk] == []
    assert flags[centroid.pk] == ["zip_centroid"]
    assert flags[po_box.pk] == ["po_box"]
    assert flags[tower.pk] == ["no_unit"]
    assert flags[no_phone.pk] == ["no_phone"]


def test_plan_pages_show_the_plan_and_move_a_stop_by_htmx(client_a, merchant_a, merchant_b):
    fleet = make_fleet(merchant_a.merchant, drivers=("car", "van"), parcels=3)
    ring(fleet, 5, window=(10, 14))
    plan = planning.start_plan(
        merchant=fleet.merchant, date=fleet.date, wave=dt.time(10), hubs=[fleet.hub]
    )
    run_job(plan.job_id)
    page = client_a.get(reverse("fleet_plan", args=[plan.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="fleet-map"' in html and "fleet-map-data" in html
    routes = list(plan.routes.all())
    stop = routes[0].stops.order_by("sequence").first()
    moved = client_a.post(
        reverse("fleet_plan_move", args=[plan.pk]),
        {"stop": stop.pk, "route": routes[1].pk, "position": 1},
        HTTP_HX_REQUEST="true",
    )
    assert moved.status_code == 200
    stop.refresh_from_db()
    if "Not moved" in moved.content.decode():
        assert stop.route_id == routes[0].pk
    else:
        assert stop.route_id == routes[1].pk
        assert "re-checked" in moved.content.decode()
    bad = client_a.post(
        reverse("fleet_plan_move", args=[plan.pk]),
        {"stop": stop.pk, "route": "nope", "position": "-3"},
        HTTP_HX_REQUEST="true",
    )
    assert bad.status_code == 200
    assert "Not moved" not in bad.content.decode() and 'role="alert"' in bad.content.decode()
    assert RouteStop.objects.get(pk=stop.pk).route_id == stop.route_id

    other = make_fleet(merchant_b.merchant, drivers=("car",))
    ring(other, 1)
    foreign = planning.start_plan(
        merchant=other.merchant, date=other.date, wave=dt.time(10), hubs=[other.hub]
    )
    assert client_a.get(reverse("fleet_plan", args=[foreign.pk])).status_code == 404
    assert client_a.post(reverse("fleet_plan_dispatch", args=[foreign.pk])).status_code == 404
    assert client_a.get(reverse("fleet_plans")).status_code == 200
    assert client_a.get(reverse("fleet_dispatch")).status_code == 200


def test_the_board_reassigns_a_stop_and_inserts_waiting_orders(client_a, merchant_a, settings):
    from django.utils import timezone

    from tests.fulfillment.fleet.plans.factories import TZ

    today = timezone.now().astimezone(TZ).date()
    fleet = make_fleet(
        merchant_a.merchant, date=today, drivers=("car", "van"), parcels=3, shift=(0, 23)
    )
    ring(fleet, 4, window=None)
    plan = dispatched(fleet, wave=None)
    routes = sorted(plan.routes.all(), key=lambda r: -r.stops.count())
    stop = routes[0].stops.order_by("sequence").last()

    board = client_a.get(reverse("fleet_dispatch"))
    assert board.status_code == 200 and "dispatch-map-data" in board.content.decode()
    moved = client_a.post(
        reverse("fleet_dispatch_reassign", args=[stop.pk]), {"route": routes[1].pk}
    )
    assert moved.status_code == 302
    assert RouteStop.objects.get(pk=stop.pk).route_id == routes[1].pk
    assert (
        client_a.post(reverse("fleet_dispatch_reassign", args=[stop.pk]), {"route": "x"})
    ).status_code == 404

    new = book_on_fleet(fleet, latitude=HUB[0] + 0.002, longitude=HUB[1], window=None)
    Order.objects.filter(pk=new.pk).update(created_at=timezone.now())
    page = client_a.get(reverse("fleet_dispatch")).content.decode()
    assert "Insert into the running routes" in page
    client_a.post(reverse("fleet_dispatch_insert"))
    assert RouteStop.objects.filter(order=new, plan=plan).exists()


def test_a_booked_own_delivery_order_is_queued_for_todays_routes(merchant_a, monkeypatch):
    from fulfillment.fleet.dispatch import receivers, tasks
    from fulfillment.models import Shipment
    from tests.factories.orders import make_order

    fleet = make_fleet(merchant_a.merchant, drivers=("car",), cutoff=dt.time(0, 0))
    own = book_on_fleet(fleet, latitude=HUB[0] + 0.01, longitude=HUB[1])
    queued: list[int] = []
    monkeypatch.setattr(tasks.insert_booked_order, "delay", queued.append)
    shipment = Shipment.objects.get(order=own)
    receivers.on_shipment_booked(Shipment, shipment_id=shipment.pk)
    assert queued == [own.pk]

    # The task asks the dispatcher's insert_order, whose refusals are answers, not errors:
    # after the cut-off (00:00 here) the next wave's plan takes it.
    assert tasks.insert_booked_order(own.pk) == "after_cutoff"
    assert tasks.insert_booked_order(make_order(fleet.merchant).pk) == "not_own_fleet"
    assert tasks.insert_booked_order(10**9) == "gone"


@pytest.mark.parametrize("next_step", ["next_wave", "back_to_hub"])
def test_a_failed_stop_is_planned_in_the_next_wave_unless_it_went_back_to_the_hub(
    merchant_a, next_step
):
    fleet = make_fleet(merchant_a.merchant, drivers=("car",))
    (order,) = ring(fleet, 1, window=(10, 12))
    plan = dispatched(fleet)  # the 10:00 wave
    stop = plan.stops.get(order=order)
    RouteStop.objects.filter(pk=stop.pk).update(
        state=RouteStop.State.FAILED,
        failure_reason="not_home",
        next_step=next_step,
        done_at=fleet.at(11),
    )
    hubs = [fleet.hub.pk]
    again = planning.wave_orders(fleet.merchant, date=fleet.date, wave=dt.time(15), hub_ids=hubs)
    same = planning.wave_orders(fleet.merchant, date=fleet.date, wave=dt.time(10), hub_ids=hubs)
    assert same == []  # never back into the wave that failed
    if next_step == "back_to_hub":
        assert again == []  # it waits at the hub to be booked again
        return
    (due,) = again
    assert due.order == order
    assert due.window == (fleet.at(15), fleet.at(15) + dt.timedelta(minutes=120))
