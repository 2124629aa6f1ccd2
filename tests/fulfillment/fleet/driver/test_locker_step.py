"""A failed own-fleet stop whose next step is "to a locker" (#16's gap, closed by #20): the
order is redirected to the nearest locker that fits; when none fits, the stop falls back to the
next wave and says why."""

from __future__ import annotations

import pytest

from fulfillment.fleet.live import services
from fulfillment.models import Order, ParcelRedirect, RouteStop
from lockers.models import Compartment, Reservation
from tests.factories.lockers import make_bank
from tests.fulfillment.fleet.driver.factories import make_route
from tests.fulfillment.fleet.driver.test_live_services import started


def stop_near_its_locker(merchant, route):
    stop = route.stops.select_related("shipment").order_by("sequence").first()
    Order.objects.filter(pk=stop.order_id).update(latitude=stop.latitude, longitude=stop.longitude)
    return stop


@pytest.mark.django_db
def test_to_a_locker_redirects_the_order_to_the_nearest_locker_that_fits(merchant_a):
    merchant = merchant_a.merchant
    route = started(make_route(merchant, stops=2))
    stop = stop_near_its_locker(merchant, route)
    far = make_bank(merchant, at=(stop.latitude + 0.02, stop.longitude), name="Far Locker")
    near = make_bank(merchant, at=(stop.latitude + 0.001, stop.longitude), name="Near Locker")
    done = services.record_stop_outcome(
        driver=route.driver, stop=stop, outcome="failed", reason="not_home", next_step="locker"
    )
    assert (done.state, done.next_step) == ("failed", "locker")
    order = Order.objects.get(pk=stop.order_id)
    assert order.pickup_location_ref == near.pickup_ref and order.delivery_kind == "locker"
    record = ParcelRedirect.objects.get(shipment=stop.shipment)
    assert (record.requested_by, record.courier_told) == ("driver", "not_supported")
    assert Reservation.objects.filter(order=order, bank=near, status="confirmed").count() == 1
    assert not Reservation.objects.filter(bank=far).exists()


@pytest.mark.django_db
def test_with_no_locker_that_fits_the_stop_falls_back_to_the_next_wave_with_the_reason(
    merchant_a,
):
    merchant = merchant_a.merchant
    route = started(make_route(merchant, stops=2))
    stop = stop_near_its_locker(merchant, route)
    bank = make_bank(merchant, at=(stop.latitude, stop.longitude), compartments={"S": 1})
    Compartment.objects.filter(bank=bank).update(state="occupied")
    done = services.record_stop_outcome(
        driver=route.driver, stop=stop, outcome="failed", reason="not_home", next_step="locker"
    )
    assert done.state == "failed" and done.next_step == RouteStop.NextStep.NEXT_WAVE
    assert "No locker within" in done.fallback_reason and "next wave" in done.fallback_reason
    assert RouteStop.objects.get(pk=stop.pk).next_step == "next_wave"
    assert not ParcelRedirect.objects.exists()
    assert Order.objects.get(pk=stop.order_id).delivery_kind == "home"


@pytest.mark.django_db
def test_the_redirected_parcels_label_is_reissued_with_the_lockers_address(merchant_a):
    from fulfillment.labels.services.labels import label_data_for

    merchant = merchant_a.merchant
    route = started(make_route(merchant, stops=1))
    stop = stop_near_its_locker(merchant, route)
    make_bank(merchant, at=(stop.latitude, stop.longitude), name="Label Locker")
    before = label_data_for(stop.shipment)
    services.record_stop_outcome(
        driver=route.driver, stop=stop, outcome="failed", reason="not_home", next_step="locker"
    )
    stop.shipment.refresh_from_db()
    after = label_data_for(stop.shipment)
    assert "Label Locker" not in repr(before.recipient)
    assert "Label Locker" in repr(after.recipient)
    assert after.qr_payload.startswith("NBX1-IN:locker:")  # the locker's check-in code
