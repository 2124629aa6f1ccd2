"""Review of #16's driver sign-in, driver app and own-fleet account (defect hunt): the sign-in
link used once under two concurrent POSTs and refused once expired, sessions kept apart (a
driver is no merchant user, a merchant user no driver), sign-out clearing a shared phone,
hostile ids, times, photos and signatures answered with a problem (never a 500, nothing
stored), and the "Add courier" form not making own-fleet accounts."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from fulfillment.couriers.forms import AccountForm
from fulfillment.couriers.services.accounts import create_account, update_account
from fulfillment.fleet.auth.links import create_sign_in_link
from fulfillment.fleet.auth.session import SESSION_KEY
from fulfillment.fleet.live import services
from fulfillment.models import CourierAccount, DriverAction, DriverSignInLink, RouteStop
from tests.factories.couriers import make_account
from tests.factories.merchant import make_point
from tests.fulfillment.fleet.admin.factories import make_fleet_service
from tests.fulfillment.fleet.driver.factories import codes, make_driver, make_route

JSON = {"HTTP_ACCEPT": "application/json"}


def _png(size: int = 8) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (20, 120, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def _signed_in(driver) -> Client:
    client = Client()
    _, token = create_sign_in_link(driver=driver)
    assert client.post(reverse("fleet_driver_sign_in", args=[token])).status_code == 302
    return client


def _started(route):
    for code in codes(route):
        services.load_parcel(driver=route.driver, route=route, code=code)
    return services.start_route(driver=route.driver, route=route)


# --- sign-in ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_link_posted_twice_at_the_same_moment_signs_in_once(merchant_a):
    driver = make_driver(merchant_a.merchant)
    _, token = create_sign_in_link(driver=driver)
    url = reverse("fleet_driver_sign_in", args=[token])
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def tap() -> None:
        try:
            client = Client()
            barrier.wait(timeout=10)
            statuses.append(client.post(url).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [302, 410]
    assert DriverSignInLink.objects.get().used_at is not None


@pytest.mark.sqlite
@pytest.mark.django_db
def test_an_expired_link_is_refused_and_not_used(merchant_a):
    driver = make_driver(merchant_a.merchant)
    link, token = create_sign_in_link(driver=driver)
    DriverSignInLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    client = Client()
    response = client.post(reverse("fleet_driver_sign_in", args=[token]))
    assert response.status_code == 410 and b"expired" in response.content
    assert SESSION_KEY not in client.session
    assert DriverSignInLink.objects.get().used_at is None
    for bad in ("x" * 200, "a\x00b", "%00"):
        assert client.get(f"/d/{bad}/").status_code in (404, 410)


@pytest.mark.sqlite
@pytest.mark.django_db
def test_driver_and_merchant_sessions_stay_apart(merchant_a, client_a):
    route = make_route(merchant_a.merchant, stops=1)
    phone = _signed_in(route.driver)
    # A driver is no merchant user: the dashboard sends them to the login page.
    for name in ("fleet_drivers", "couriers"):
        response = phone.get(reverse(name))
        assert response.status_code == 302 and "login" in response.url
    # A merchant user is no driver: the app and its actions answer 403.
    assert client_a.get(reverse("driver_route", args=[route.pk])).status_code == 403
    refused = client_a.post(
        reverse("driver_action"),
        {"client_id": "merchant-0001", "kind": "load", "route_id": route.pk, "code": "x"},
    )
    assert refused.status_code == 403
    assert not DriverAction.objects.exists()


@pytest.mark.sqlite
@pytest.mark.django_db
def test_sign_out_clears_the_shared_phone(merchant_a):
    route = make_route(merchant_a.merchant, stops=1)
    phone = _signed_in(route.driver)
    page = phone.get(reverse("driver_route", args=[route.pk])).content.decode()
    assert "data-sign-out" in page and reverse("fleet_driver_sign_out") in page
    assert "<script>" not in page and "onclick" not in page  # strict CSP: no inline script
    response = phone.post(reverse("fleet_driver_sign_out"))
    assert response.status_code == 200
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert phone.get(reverse("driver_route", args=[route.pk])).status_code == 403


# --- hostile input ----------------------------------------------------------------------------


@pytest.mark.sqlite
@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"client_id": "a" * 10_000, "kind": "load", "code": "x"},
        {"client_id": "abc\x00defgh", "kind": "load", "code": "x"},
        {"client_id": "hostile-0001", "kind": "load", "code": "x", "route_id": str(2**70)},
        {"client_id": "hostile-0002", "kind": "load", "code": "x", "route_id": "1e3"},
        {"client_id": "hostile-0003", "kind": "failed", "stop_id": str(2**64)},
        {"client_id": "hostile-0004", "kind": "load", "code": "x",
         "happened_at": "0001-01-01T00:00:00+14:00"},
        {"client_id": "hostile-0005", "kind": "load", "code": "x",
         "happened_at": "9999-12-31T23:59:59-14:00"},
    ],
)  # fmt: skip
def test_hostile_action_fields_get_a_problem(merchant_a, fields):
    route = make_route(merchant_a.merchant, stops=1)
    client = _signed_in(route.driver)
    response = client.post(reverse("driver_action"), {"route_id": route.pk, **fields}, **JSON)
    assert response.status_code in (404, 422), response.content
    assert response.json()["detail"]
    assert not DriverAction.objects.exists()


@pytest.mark.sqlite
@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"route_id": [1], "latitude": 41.9, "longitude": -87.6},
        {"route_id": {"a": 1}, "latitude": 41.9, "longitude": -87.6},
        {"route_id": 2**70, "latitude": 41.9, "longitude": -87.6},
        {"route_id": "ROUTE", "latitude": 1e308, "longitude": -1e308},
        {"route_id": "ROUTE", "latitude": "-inf", "longitude": 0},
        {"route_id": "ROUTE", "latitude": [41.9], "longitude": -87.6},
        {"route_id": "ROUTE", "latitude": 41.9, "longitude": -87.6,
         "recorded_at": "0001-01-01T00:00:00+14:00"},
    ],
)  # fmt: skip
def test_hostile_positions_get_a_problem(merchant_a, body):
    route = _started(make_route(merchant_a.merchant, stops=1))
    client = _signed_in(route.driver)
    raw = json.dumps(body).replace('"ROUTE"', str(route.pk))
    response = client.post(reverse("driver_position"), raw, content_type="application/json")
    assert response.status_code in (400, 404, 422), response.content
    route.refresh_from_db()
    assert route.position_at is None


@pytest.mark.sqlite
@pytest.mark.django_db
def test_photos_and_signatures_that_are_not_images_are_refused(merchant_a, settings):
    route = _started(make_route(merchant_a.merchant, stops=2))
    one, two = route.stops.order_by("sequence")
    client = _signed_in(route.driver)
    big = b"\xff\xd8\xff" + b"0" * (9 * 1024 * 1024)
    cases = [
        ("safe_place", {"photo": SimpleUploadedFile("p.jpg", b"<html>hi</html>")}, "photo"),
        ("safe_place", {"photo": SimpleUploadedFile("p.jpg", big)}, "photo"),
        ("delivered", {"signature": "data:image/svg+xml;base64,PHN2Zz4="}, "signature"),
        ("delivered", {"signature": "data:image/png;base64,!!!"}, "signature"),
        ("delivered", {"signature": "data:image/png;base64,R0lGODlh"}, "signature"),
    ]
    for n, (kind, extra, field) in enumerate(cases):
        response = client.post(
            reverse("driver_action"),
            {"client_id": f"photo-case-{n:04}", "kind": kind, "stop_id": one.pk, **extra},
            **JSON,
        )
        assert response.status_code == 422, (n, response.content)
        assert response.json()["field"] == field, n
    one.refresh_from_db()
    assert one.state == RouteStop.State.PENDING and not one.photo
    assert not DriverAction.objects.exists()
    # A stop without a shipment still gets its photo checked, and a real image named .svg is
    # kept under the format found in it.
    RouteStop.objects.filter(pk=two.pk).update(shipment=None)
    refused = client.post(
        reverse("driver_action"),
        {"client_id": "photo-case-noship", "kind": "safe_place", "stop_id": two.pk,
         "photo": SimpleUploadedFile("x.svg", b"<svg onload=alert(1)>")},
        **JSON,
    )  # fmt: skip
    assert refused.status_code == 422
    taken = client.post(
        reverse("driver_action"),
        {"client_id": "photo-case-svgname", "kind": "safe_place", "stop_id": two.pk,
         "photo": SimpleUploadedFile("x.svg", _png())},
        **JSON,
    )  # fmt: skip
    assert taken.status_code == 200, taken.content
    two.refresh_from_db()
    assert two.photo.name.endswith(".png")


# --- the own-fleet account is made by Own delivery only ---------------------------------------


@pytest.mark.sqlite
@pytest.mark.django_db
def test_add_courier_does_not_make_own_fleet_accounts(merchant_a, client_a):
    assert "own_fleet" not in dict(AccountForm().fields["courier"].choices)
    with pytest.raises(ValidationError, match="Own delivery"):
        create_account(merchant=merchant_a.merchant, courier="own_fleet", name="Mine")
    response = client_a.post(
        reverse("courier_account_create"),
        {"courier": "own_fleet", "name": "Mine", "requests_per_second": 5, "currency": "USD"},
    )
    assert response.status_code == 200
    assert not CourierAccount.objects.filter(courier="own_fleet").exists()
    # Another account cannot be turned into one either.
    other = make_account(merchant_a.merchant)
    with pytest.raises(ValidationError, match="Own delivery"):
        update_account(account=other, courier="own_fleet")
    # The one Own delivery made stays editable (its form offers its own courier).
    hub = make_point(merchant_a.merchant, name="Wicker Park", postal_code="60622")
    make_fleet_service(merchant_a.merchant, hub=hub)
    own = CourierAccount.objects.get(courier="own_fleet")
    assert "own_fleet" in dict(AccountForm(account=own).fields["courier"].choices)
    assert update_account(account=own, name="Own drivers (renamed)").name.endswith("(renamed)")


@pytest.mark.sqlite
@pytest.mark.django_db
@pytest.mark.parametrize("latitude", [float("nan"), 91.0])
def test_rate_shopping_refuses_own_delivery_to_no_place(merchant_a, latitude):
    from fulfillment.couriers.adapters import Parcel
    from fulfillment.couriers.selectors import rate_book
    from fulfillment.couriers.services.rates import Origin, RateInput, shop
    from tests.fulfillment.fleet.admin.factories import make_shift

    merchant = merchant_a.merchant
    hub = make_point(merchant, name="Wicker Park", postal_code="60622")
    make_fleet_service(merchant, hub=hub)
    make_shift(merchant, hub=hub, day=timezone.localdate())
    inp = RateInput(
        origin=Origin.for_point(hub), latitude=latitude, longitude=-87.64, zip_code="60614",
        parcel=Parcel(weight_g=500, length_mm=200, width_mm=150, height_mm=100),
        service_level="same_day",
    )  # fmt: skip
    now = timezone.now()
    own = next(o for o in shop(rate_book(merchant, now=now), inp, now).options
               if o.courier == "own_fleet")  # fmt: skip
    assert not own.eligible and own.price_minor == 0


@pytest.mark.sqlite
@pytest.mark.django_db
def test_fleet_pages_and_a_delivery_work_on_make_runs_database(merchant_a, client_a):
    """make run (SQLite): the fleet pages and the driver app load, and a delivery with a
    signature is recorded from the phone's form, position and ETAs included."""
    hub = make_point(merchant_a.merchant, name="Wicker Park", postal_code="60622")
    make_fleet_service(merchant_a.merchant, hub=hub)
    for name in ("fleet_drivers", "fleet_vehicles", "fleet_shifts", "fleet_services"):
        assert client_a.get(reverse(name)).status_code == 200, name
    route = make_route(merchant_a.merchant, stops=2)
    stop = route.stops.order_by("sequence").first()
    phone = _signed_in(route.driver)
    assert phone.get(reverse("driver_route", args=[route.pk])).status_code == 200
    assert phone.get(reverse("driver_stop", args=[stop.pk])).status_code == 200
    for n, code in enumerate(codes(route)):
        loaded = phone.post(
            reverse("driver_action"),
            {"client_id": f"sqlite-load-{n}", "kind": "load", "route_id": route.pk, "code": code},
            **JSON,
        )
        assert loaded.status_code == 200, loaded.content
    start = {"client_id": "sqlite-start", "kind": "start_route", "route_id": route.pk}
    assert phone.post(reverse("driver_action"), start, **JSON).status_code == 200
    position = {"route_id": route.pk, "latitude": 41.885, "longitude": -87.6289,
                "recorded_at": timezone.now().isoformat()}  # fmt: skip
    sent = phone.post(reverse("driver_position"), json.dumps(position), "application/json")
    assert sent.status_code == 204
    import base64

    signature = "data:image/png;base64," + base64.b64encode(_png()).decode()
    done = phone.post(
        reverse("driver_action"),
        {"client_id": "sqlite-deliver", "kind": "delivered", "stop_id": stop.pk,
         "name": "Ada", "signature": signature},
        **JSON,
    )  # fmt: skip
    assert done.status_code == 200 and done.json()["stop_state"] == "delivered"
    stop.refresh_from_db()
    stop.shipment.refresh_from_db()
    assert stop.signature and stop.shipment.status == "delivered"
    assert route.stops.exclude(pk=stop.pk).get().eta is not None


@pytest.mark.sqlite
@pytest.mark.django_db
def test_a_huge_signature_or_body_is_a_400_and_nothing_changes(merchant_a):
    route = _started(make_route(merchant_a.merchant, stops=1))
    stop = route.stops.get()
    client = _signed_in(route.driver)
    signature = "data:image/png;base64," + "A" * (3 * 1024 * 1024)
    response = client.post(
        reverse("driver_action"),
        {"client_id": "huge-signature", "kind": "delivered", "stop_id": stop.pk,
         "signature": signature},
        **JSON,
    )  # fmt: skip
    assert response.status_code == 400
    huge = json.dumps({"route_id": route.pk, "latitude": 41.9, "longitude": -87.6,
                       "pad": "x" * (3 * 1024 * 1024)})  # fmt: skip
    assert client.post(reverse("driver_position"), huge, "application/json").status_code == 400
    stop.refresh_from_db()
    assert stop.state == RouteStop.State.PENDING and not DriverAction.objects.exists()


@pytest.mark.sqlite
@pytest.mark.django_db
def test_a_route_reaches_the_phone_only_once_its_plan_is_dispatched(merchant_a):
    from fulfillment.models import RoutePlan

    route = make_route(merchant_a.merchant, stops=1)
    RoutePlan.objects.filter(pk=route.plan_id).update(state=RoutePlan.State.READY)
    phone = _signed_in(route.driver)
    home = phone.get(reverse("driver_home"))
    assert home.status_code == 200 and route.hub.name not in home.content.decode()
    assert phone.get(reverse("driver_route", args=[route.pk])).status_code == 404
    start = {"client_id": "ready-start", "kind": "start_route", "route_id": route.pk}
    assert phone.post(reverse("driver_action"), start, **JSON).status_code == 404
    RoutePlan.objects.filter(pk=route.plan_id).update(state=RoutePlan.State.DISPATCHED)
    assert phone.get(reverse("driver_home")).status_code == 302
