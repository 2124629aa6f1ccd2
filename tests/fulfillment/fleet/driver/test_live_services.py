"""The driver's actions and live ETA on PostgreSQL: loading, starting, ETAs recomputed from each
position, proofs and outcomes, each action applied once even when sent twice at once."""

from __future__ import annotations

import base64
import datetime as dt
import io
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import Http404
from django.utils import timezone
from PIL import Image

from fulfillment.fleet.live import actions, services
from fulfillment.fleet.live.shopper import own_driver_delivery
from fulfillment.models import (
    CourierPosition,
    DriverAction,
    Notification,
    OrderEvent,
    Route,
    RouteStop,
    ShipmentEvent,
)
from tests.fulfillment.fleet.driver.factories import codes, make_driver, make_route


def photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (20, 120, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile("door.png", buffer.getvalue(), content_type="image/png")


def signature() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 8), "white").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def started(route: Route) -> Route:
    for code in codes(route):
        services.load_parcel(driver=route.driver, route=route, code=code)
    return services.start_route(driver=route.driver, route=route)


@pytest.mark.sqlite
@pytest.mark.django_db
def test_route_starts_only_when_every_parcel_is_loaded_and_sends_them_out(merchant_a):
    route = make_route(merchant_a.merchant, stops=2)
    first, second = codes(route)
    services.load_parcel(driver=route.driver, route=route, code=first.lower())  # typed
    with pytest.raises(ValidationError, match="1 parcel not loaded"):
        services.start_route(driver=route.driver, route=route)
    with pytest.raises(ValidationError, match="not on this route"):
        services.load_parcel(driver=route.driver, route=route, code="NOPE123")
    services.load_parcel(driver=route.driver, route=route, code=second)
    services.start_route(driver=route.driver, route=route)
    route.refresh_from_db()
    assert route.state == Route.State.STARTED
    stop = route.stops.select_related("shipment").first()
    assert stop.shipment.status == "out_for_delivery"
    assert stop.shipment.eta_until == stop.window_until  # the message says the window
    assert Notification.objects.filter(shipment=stop.shipment, kind="out_for_delivery").exists()


@pytest.mark.sqlite
@pytest.mark.django_db
def test_each_position_recomputes_the_remaining_etas_from_where_the_driver_is(merchant_a):
    route = started(make_route(merchant_a.merchant, stops=30, window_minutes=600))
    at = timezone.now()
    stops = services.record_position(
        driver=route.driver, route=route, latitude=41.8837, longitude=-87.6289, recorded_at=at
    )
    assert len(stops) == 30
    etas = list(route.stops.order_by("sequence").values_list("eta", flat=True))
    assert all(e is not None for e in etas) and etas == sorted(etas)
    # 600 m apart x 1.3 at 15 km/h is about 3 minutes, plus 3 minutes at each stop.
    assert dt.timedelta(minutes=4) < etas[1] - etas[0] < dt.timedelta(minutes=9)
    # Further up the route, later: the first stops' ETAs come closer.
    services.record_position(
        driver=route.driver, route=route, latitude=41.8837 + 0.0055, longitude=-87.6289,
        recorded_at=at + dt.timedelta(seconds=20),
    )  # fmt: skip
    first = route.stops.get(sequence=1)
    assert first.eta < etas[0] + dt.timedelta(seconds=20)
    # A late, older position changes nothing.
    assert (
        services.record_position(
            driver=route.driver, route=route, latitude=0, longitude=0, recorded_at=at
        )
        is None
    )
    # The next three stops' shipments carry the driver's position (the tracking page map).
    near = CourierPosition.objects.filter(shipment__in=[s.shipment for s in route.stops.all()])
    assert near.count() == services.nearby_stops()
    assert (
        Notification.objects.filter(kind="nearby", shipment__in=near.values("shipment")).count()
        == 3
    )


@pytest.mark.django_db
def test_no_positions_before_the_route_is_started(merchant_a):
    route = make_route(merchant_a.merchant, stops=1)
    with pytest.raises(ValidationError, match="Start the route"):
        services.record_position(
            driver=route.driver, route=route, latitude=41.9, longitude=-87.6,
            recorded_at=timezone.now(),
        )  # fmt: skip


@pytest.mark.sqlite
@pytest.mark.django_db
def test_outcomes_store_proofs_and_move_the_shipment(merchant_a):
    route = started(make_route(merchant_a.merchant, stops=3))
    one, two, three = route.stops.order_by("sequence")
    with pytest.raises(ValidationError, match="photo"):
        services.record_stop_outcome(driver=route.driver, stop=one, outcome="delivered")
    done = services.record_stop_outcome(
        driver=route.driver, stop=one, outcome="delivered", photo=photo(),
        signature=signature(), recipient_name="Ada <b>",
    )  # fmt: skip
    assert done.state == RouteStop.State.DELIVERED and done.photo and done.signature
    assert done.recipient_name == "Ada <b>"
    one.shipment.refresh_from_db()
    assert one.shipment.status == "delivered"
    assert (
        ShipmentEvent.objects.filter(shipment=one.shipment, status="delivered")
        .exclude(proof="")
        .exists()
    )
    with pytest.raises(ValidationError, match="next"):
        services.record_stop_outcome(
            driver=route.driver, stop=two, outcome="failed", reason="not_home"
        )
    two.refresh_from_db()
    assert two.state == RouteStop.State.PENDING
    services.record_stop_outcome(
        driver=route.driver, stop=two, outcome="failed", reason="address_wrong",
        next_step="back_to_hub",
    )  # fmt: skip
    two.refresh_from_db()
    assert (two.state, two.failure_reason, two.next_step) == (
        "failed",
        "address_wrong",
        "back_to_hub",
    )
    assert own_driver_delivery(two.shipment).next_step == "Back to the hub"
    # Back to the hub: the order is packed again, ready at its hub; its history says why.
    two.order.refresh_from_db()
    assert two.order.status == "packed"
    event = OrderEvent.objects.filter(order=two.order).latest("pk")
    assert (event.from_status, event.to_status) == ("handed_over", "packed")
    assert event.note.startswith(f"Back at {route.hub.name} after a failed delivery (address")
    with pytest.raises(ValidationError, match="already"):
        services.record_stop_outcome(
            driver=route.driver, stop=two, outcome="safe_place", photo=photo()
        )
    services.record_stop_outcome(
        driver=route.driver, stop=three, outcome="safe_place", photo=photo()
    )
    route.refresh_from_db()
    assert route.state == Route.State.FINISHED


@pytest.mark.sqlite
@pytest.mark.django_db
def test_an_action_sent_twice_is_applied_once(merchant_a):
    route = started(make_route(merchant_a.merchant, stops=2))
    stop = route.stops.order_by("sequence").first()
    kwargs = dict(driver=route.driver, client_id="c0ffee-0001", kind="failed", stop_id=stop.pk,
                  payload={"reason": "not_home", "next_step": "next_wave"})  # fmt: skip
    first = actions.apply_action(**kwargs)
    again = actions.apply_action(**kwargs)
    assert first.applied and not again.applied
    assert DriverAction.objects.filter(driver=route.driver).count() == 1
    assert (
        ShipmentEvent.objects.filter(shipment=stop.shipment, status="failed_attempt").count() == 1
    )


@pytest.mark.django_db
def test_a_refused_action_is_not_stored(merchant_a):
    route = started(make_route(merchant_a.merchant, stops=1))
    stop = route.stops.get()
    with pytest.raises(ValidationError):
        actions.apply_action(
            driver=route.driver, client_id="c0ffee-0002", kind="safe_place", stop_id=stop.pk
        )
    assert not DriverAction.objects.exists()


@pytest.mark.django_db
def test_another_drivers_or_merchants_stop_is_not_found(merchant_a, merchant_b):
    route = started(make_route(merchant_a.merchant, stops=1))
    stop = route.stops.get()
    colleague = make_driver(merchant_a.merchant, name="Kim Lee")
    stranger = make_driver(merchant_b.merchant, name="Bo Chen")
    for driver in (colleague, stranger):
        with pytest.raises(Http404):
            actions.apply_action(driver=driver, client_id="c0ffee-0003", kind="safe_place",
                                 stop_id=stop.pk, photo=photo())  # fmt: skip
        with pytest.raises(Http404):
            actions.apply_action(driver=driver, client_id="c0ffee-0004", kind="start_route",
                                 route_id=route.pk)  # fmt: skip
        with pytest.raises(ValidationError):
            services.record_position(driver=driver, route=route, latitude=41.9, longitude=-87.6,
                                     recorded_at=timezone.now())  # fmt: skip
    stop.refresh_from_db()
    assert stop.state == RouteStop.State.PENDING


@pytest.mark.django_db(transaction=True)
def test_the_same_action_sent_at_the_same_moment_is_applied_once(merchant_a):
    route = started(make_route(merchant_a.merchant, stops=1))
    stop = route.stops.get()
    barrier = threading.Barrier(2)
    results: list[object] = []

    def send() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(actions.apply_action(
                driver=route.driver, client_id="c0ffee-same", kind="failed", stop_id=stop.pk,
                payload={"reason": "refused", "next_step": "back_to_hub"},
            ))  # fmt: skip
        except Exception as error:  # collected, asserted below
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    applied = [r.applied for r in results if isinstance(r, actions.ActionResult)]
    assert sorted(applied) == [False, True], results
    assert DriverAction.objects.filter(client_id="c0ffee-same").count() == 1
    assert (
        ShipmentEvent.objects.filter(shipment=stop.shipment, status="failed_attempt").count() == 1
    )
