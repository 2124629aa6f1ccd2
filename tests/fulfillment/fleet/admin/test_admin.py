"""Own fleet admin (#16): drivers invited by a one-time link, the driver session, vehicles,
shifts, and own delivery as a service in rate shopping with its one-sentence why."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import replace

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse

from fulfillment.couriers.adapters import Parcel
from fulfillment.couriers.selectors import rate_book
from fulfillment.couriers.services.rates import Origin, RateInput, shop
from fulfillment.fleet.auth.links import SignInLinkInvalid, redeem_sign_in_link
from fulfillment.fleet.auth.selectors import get_route_for_driver
from fulfillment.fleet.drivers.services.drivers import send_sign_in_link, set_driver_active
from fulfillment.models import (
    Allocation,
    CourierAccount,
    DriverSignInLink,
    Route,
    RoutePlan,
    ServiceArea,
    Shift,
    Shipment,
    Vehicle,
)
from fulfillment.shipments.services.booking import book_shipment, request_shipment
from fulfillment.tracking import sms
from lockers.parcels import Parcel as LockerParcel
from lockers.services.options import Destination, home_options
from tests.factories.couriers import make_account, make_service
from tests.factories.merchant import make_point
from tests.factories.orders import make_order
from tests.fulfillment.fleet.admin.factories import (
    make_driver,
    make_fleet_service,
    make_shift,
    make_vehicle,
)

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
LINCOLN_PARK = (41.9214, -87.6513)
SMALL = Parcel(weight_g=500, length_mm=200, width_mm=150, height_mm=100)


def _link(text: str) -> str:
    return re.search(r"http://[^\s]+/d/[^\s/]+/", text).group(0)


@pytest.mark.django_db
def test_invited_driver_signs_in_once_by_the_link_after_confirming(merchant_a, client_a):
    response = client_a.post(
        reverse("fleet_drivers"),
        {"name": "Ana Ruiz", "email": "ana@example.com", "phone": "", "channels": ["email"]},
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and "ana@example.com" in mail.outbox[0].to
    url = _link(mail.outbox[0].body).replace("http://localhost:8000", "")
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert not DriverSignInLink.objects.filter(token_hash=token).exists()  # only the hash

    phone = Client()
    confirm = phone.get(url)  # a link scanner's GET does not use it
    assert confirm.status_code == 200 and b"Sign in as Ana" in confirm.content
    assert DriverSignInLink.objects.get().used_at is None
    signed_in = phone.post(url)
    assert signed_in.status_code == 302
    assert phone.session["fleet_driver_id"] == DriverSignInLink.objects.get().driver_id
    again = Client().post(url)
    assert again.status_code == 410 and b"already used" in again.content


@pytest.mark.django_db
def test_sms_link_a_deactivated_driver_and_an_expired_link_are_refused(merchant_a, settings):
    settings.NEARBOX_SMS_BACKEND = "fulfillment.tracking.sms.LocmemSmsBackend"
    sms.outbox.clear()
    driver = make_driver(merchant_a.merchant, name="Bo Chen", phone="+1 (312) 555-0199")
    assert driver.phone == "+13125550199"
    send_sign_in_link(driver=driver, channels=["sms"])
    assert sms.outbox[-1].to == "+13125550199"
    token = _link(sms.outbox[-1].body).rstrip("/").rsplit("/", 1)[1]
    set_driver_active(driver=driver, active=False)
    with pytest.raises(SignInLinkInvalid):
        redeem_sign_in_link(token=token)
    with pytest.raises(ValidationError, match="deactivated"):
        send_sign_in_link(driver=driver, channels=["sms"])
    nobody = make_driver(merchant_a.merchant, email="", phone="")
    with pytest.raises(ValidationError, match="no email"):
        send_sign_in_link(driver=nobody, channels=["email"])


@pytest.mark.django_db
def test_a_driver_reaches_only_their_own_routes(merchant_a, merchant_b):
    mine, other = make_driver(merchant_a.merchant), make_driver(merchant_a.merchant)
    shift = make_shift(merchant_a.merchant)
    plan = RoutePlan.objects.create(
        merchant=merchant_a.merchant, date=shift.date, state=RoutePlan.State.READY
    )
    route = Route.objects.create(
        merchant=merchant_a.merchant, plan=plan, driver=mine, vehicle=shift.vehicle,
        hub=shift.start_point,
    )  # fmt: skip
    with pytest.raises(Http404):  # not dispatched yet: the plan may still change or go
        get_route_for_driver(mine, route.pk)
    RoutePlan.objects.filter(pk=plan.pk).update(state=RoutePlan.State.DISPATCHED)
    assert get_route_for_driver(mine, route.pk) == route
    for driver, route_id in ((other, route.pk), (make_driver(merchant_b.merchant), route.pk)):
        with pytest.raises(Http404):
            get_route_for_driver(driver, route_id)
    with pytest.raises(Http404):
        get_route_for_driver(mine, "1; drop table")


@pytest.mark.django_db
def test_vehicle_capacity_is_typed_in_pounds_and_litres_and_stored_in_grams(merchant_a, client_a):
    assert merchant_a.merchant.unit_system == "imperial"
    data = {
        "name": "Cargo bike 1", "kind": "cargo_bike", "capacity_parcels": "20",
        "capacity_weight": "220", "capacity_litres": "250", "skills": "Age check, fragile",
    }  # fmt: skip
    assert client_a.post(reverse("fleet_vehicles"), data).status_code == 302
    bike = Vehicle.objects.get(merchant=merchant_a.merchant)
    assert (bike.capacity_g, bike.capacity_ml, bike.skills) == (
        99790,
        250_000,
        ["age_check", "fragile"],
    )
    page = client_a.get(reverse("fleet_vehicles")).content.decode()
    assert "220 lb" in page and "250 l" in page
    bad = data | {"name": "<b>x</b>", "capacity_parcels": "0", "skills": "no;way"}
    response = client_a.post(reverse("fleet_vehicles"), bad)
    assert response.status_code == 200 and Vehicle.objects.count() == 1
    assert "capacity_parcels" in response.context["form"].errors


@pytest.mark.django_db
def test_shift_rules_are_clear_errors(merchant_a, client_a):
    hub = make_point(merchant_a.merchant, name="Wicker Park")
    driver, vehicle = make_driver(merchant_a.merchant), make_vehicle(merchant_a.merchant)
    data = {
        "driver": driver.pk, "vehicle": vehicle.pk, "date": "2026-06-02", "starts_at": "09:00",
        "ends_at": "17:00", "start_point": hub.pk, "start_address": "", "end_point": "",
        "end_address": "", "breaks": "12:00-14:00 30",
    }  # fmt: skip
    assert client_a.post(reverse("fleet_shifts"), data).status_code == 302
    shift = Shift.objects.get()
    assert shift.breaks == [{"start": "12:00", "end": "14:00", "minutes": 30}]
    assert (shift.end_point, shift.end_latitude) == (hub, hub.latitude)  # ends where it starts
    for change, field, text in (
        ({}, "date", "already has a shift"),
        ({"date": "2026-06-03", "ends_at": "08:00"}, "ends_at", "end after"),
        ({"date": "2026-06-03", "breaks": "18:00-19:00 30"}, "breaks", "inside the shift"),
        ({"date": "2026-06-03", "breaks": "lunch"}, "breaks", "Line 1"),
        ({"date": "2026-06-03", "start_point": ""}, "start_point", "Choose a hub"),
    ):
        response = client_a.post(reverse("fleet_shifts"), data | change)
        assert response.status_code == 200, change
        assert text in str(response.context["form"].errors[field]), change
    assert Shift.objects.count() == 1


@pytest.mark.django_db
def test_saving_own_delivery_makes_an_own_fleet_courier_service(merchant_a):
    hub = make_point(merchant_a.merchant, name="Wicker Park", postal_code="60622")
    service = make_fleet_service(merchant_a.merchant, hub=hub, radius_km=8.0)
    account = CourierAccount.objects.get(merchant=merchant_a.merchant, courier="own_fleet")
    assert service.courier_service.account == account
    assert service.courier_service.level == "same_day"
    area = ServiceArea.objects.get(account=account)
    assert (area.kind, area.radius_km, area.center_latitude) == ("radius", 8.0, hub.latitude)
    make_fleet_service(merchant_a.merchant, fleet_service=service, hub=hub, name=service.name,
                       area_kind="zips", zip_codes="60622, 60647")  # fmt: skip
    assert CourierAccount.objects.filter(courier="own_fleet").count() == 1
    assert ServiceArea.objects.get(account=account).zip_codes == ["60622", "60647"]
    with pytest.raises(ValidationError, match="after the cut-off"):
        make_fleet_service(merchant_a.merchant, hub=hub, cutoff=dt.time(16))


def _booked(merchant, fleet, at: dt.datetime) -> Shipment:
    order = make_order(merchant)
    return Shipment.objects.create(
        merchant=merchant, order=order, account=fleet.courier_service.account,
        service=fleet.courier_service, idempotency_key=f"fleet-{order.pk}", price_minor=300,
        currency="USD", promised_from=at,
    )  # fmt: skip


def _input(hub, *, to=LINCOLN_PARK) -> RateInput:
    return RateInput(
        origin=Origin.for_point(hub), latitude=to[0], longitude=to[1], zip_code="60614",
        parcel=SMALL, service_level="same_day",
    )  # fmt: skip


@pytest.mark.sqlite  # make run's database: the room per wave is a grouped count
@pytest.mark.django_db
def test_the_rule_chooses_the_own_driver_and_says_why_in_one_sentence(merchant_a):
    merchant = merchant_a.merchant
    merchant.time_zone = "America/Chicago"
    merchant.save()
    hub = make_point(merchant, name="Wicker Park", postal_code="60622")
    make_fleet_service(merchant, hub=hub)
    make_shift(merchant, hub=hub, day=dt.date(2026, 6, 2))  # a van of 40 parcels
    courier = make_service(
        make_account(merchant, name="Bike courier"), level="same_day", transit_hours=3,
        name="Same day", base_minor=700, per_km_minor=20,
    )  # fmt: skip
    morning = dt.datetime(2026, 6, 2, 11, 0, tzinfo=CHICAGO)
    result = shop(rate_book(merchant, now=morning), _input(hub), morning)
    own = next(o for o in result.options if o.courier == "own_fleet")
    assert result.chosen == own
    # 2.2 km straight × 1.3 at the van's 26 km/h: $20/h and $0.50/km and $1.50 a stop.
    assert re.fullmatch(
        r"Own driver: \d\.\d km from Wicker Park, \$\d+\.\d\d against \$\d+\.\d\d by "
        r"Bike courier · Same day, wave 15:00 has room\.",
        result.why,
    ), result.why
    assert own.window.start == dt.datetime(2026, 6, 2, 15, 0, tzinfo=CHICAGO)
    to_locker = replace(_input(hub), pickup_name="Locker Armitage")
    assert shop(rate_book(merchant, now=morning), to_locker, morning).why.startswith(
        "Pickup point “Locker Armitage”, the shopper's choice at checkout. Own driver: "
    )
    assert courier.pk != own.service_id

    late = dt.datetime(2026, 6, 2, 14, 30, tzinfo=CHICAGO)
    refused = next(o for o in shop(rate_book(merchant, now=late), _input(hub), late).options
                   if o.courier == "own_fleet")  # fmt: skip
    assert not refused.eligible and "cut-off (14:00) has passed" in refused.refusal
    far = shop(rate_book(merchant, now=morning), _input(hub, to=(42.3, -87.9)), morning)
    assert (
        "outside its service area"
        in next(o for o in far.options if o.courier == "own_fleet").refusal
    )
    no_shift = dt.datetime(2026, 6, 3, 9, 0, tzinfo=CHICAGO)
    empty = shop(rate_book(merchant, now=no_shift), _input(hub), no_shift)
    assert (
        "no driver has a shift"
        in next(o for o in empty.options if o.courier == "own_fleet").refusal
    )


@pytest.mark.sqlite  # make run's database: the room per wave is a grouped count
@pytest.mark.django_db
def test_a_full_wave_moves_to_the_next_and_then_refuses(merchant_a):
    merchant = merchant_a.merchant
    merchant.time_zone = "America/Chicago"
    merchant.save()
    hub = make_point(merchant, name="Wicker Park", postal_code="60622")
    fleet = make_fleet_service(merchant, hub=hub, waves=["12:00", "15:00"], cutoff=dt.time(11))
    make_shift(merchant, hub=hub, day=dt.date(2026, 6, 2), vehicle=make_vehicle(
        merchant, capacity_parcels=1))  # fmt: skip
    noon = dt.datetime(2026, 6, 2, 12, 0, tzinfo=CHICAGO)
    morning = dt.datetime(2026, 6, 2, 9, 0, tzinfo=CHICAGO)
    _booked(merchant, fleet, noon)
    option = next(o for o in shop(rate_book(merchant, now=morning), _input(hub), morning).options
                  if o.courier == "own_fleet")  # fmt: skip
    assert option.eligible and option.window.start.hour == 15
    _booked(merchant, fleet, noon.replace(hour=15))
    option = next(o for o in shop(rate_book(merchant, now=morning), _input(hub), morning).options
                  if o.courier == "own_fleet")  # fmt: skip
    assert not option.eligible and "are full" in option.refusal


@pytest.mark.django_db
def test_fleet_pages_render_with_their_empty_states(client_a):
    for name in ("fleet_drivers", "fleet_vehicles", "fleet_shifts", "fleet_services"):
        page = client_a.get(reverse(name))
        assert page.status_code == 200 and b"empty-state" in page.content, name
    assert b'href="/app/fleet/drivers/"' in client_a.get(reverse("fleet_vehicles")).content


@pytest.mark.sqlite  # make run's database: the room per wave is a grouped count
@pytest.mark.django_db
def test_booking_own_delivery_gives_a_nearbox_number_no_courier_label_and_the_wave(merchant_a):
    merchant = merchant_a.merchant
    merchant.time_zone = "America/Chicago"
    merchant.save()
    order = make_order(merchant)
    hub = Allocation.objects.filter(order=order).first().point
    make_fleet_service(merchant, hub=hub)
    make_shift(merchant, hub=hub, day=dt.date(2026, 6, 2))
    morning = dt.datetime(2026, 6, 2, 11, 0, tzinfo=CHICAGO)
    shipment = request_shipment(merchant=merchant, order=order, now=morning)
    assert shipment.account.courier == "own_fleet" and shipment.why.startswith("Own driver: ")
    assert shipment.promised_from == dt.datetime(2026, 6, 2, 15, 0, tzinfo=CHICAGO)
    booked = book_shipment(shipment_id=shipment.pk)
    assert booked.tracking_number.startswith("NBX") and booked.booked_at is not None
    assert not booked.label  # our own label is printed; no courier sends one


@pytest.mark.django_db
def test_the_checkout_offers_own_delivery_among_the_home_options(merchant_a):
    merchant = merchant_a.merchant
    merchant.time_zone = "America/Chicago"
    merchant.save()
    hub = make_point(merchant, name="Wicker Park", postal_code="60622")
    make_fleet_service(merchant, hub=hub)
    make_shift(merchant, hub=hub, day=dt.date(2026, 6, 2))
    morning = dt.datetime(2026, 6, 2, 11, 0, tzinfo=CHICAGO)
    options = home_options(
        merchant, Destination(*LINCOLN_PARK, postal_code="60614"),
        LockerParcel(500, 200, 150, 100), point=hub, book=rate_book(merchant, now=morning),
        now=morning,
    )  # fmt: skip
    own = [o for o in options if o["service"] == "Own driver from Wicker Park"]
    assert own and own[0]["eta"]["from"] == "2026-06-02T15:00:00-05:00"
