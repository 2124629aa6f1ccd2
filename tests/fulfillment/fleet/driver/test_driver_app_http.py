"""The driver app over HTTP: only the signed-in driver's routes and stops (another driver's or
merchant's id: 404), hostile input answered with a problem (never a 500, nothing stored), the
forms working without JavaScript, the PWA's service worker, and the shopper's messages naming
the driver."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fulfillment.fleet.auth.links import create_sign_in_link
from fulfillment.fleet.live import services
from fulfillment.models import DriverAction, Notification, Route
from fulfillment.tracking.notifications import send_notifications
from tests.fulfillment.fleet.driver.factories import codes, make_driver, make_route

pytestmark = pytest.mark.django_db


def signed_in(driver) -> Client:
    client = Client()
    _, token = create_sign_in_link(driver=driver)
    response = client.post(reverse("fleet_driver_sign_in", args=[token]))
    assert response.status_code == 302
    return client


def started(route: Route) -> Route:
    for code in codes(route):
        services.load_parcel(driver=route.driver, route=route, code=code)
    return services.start_route(driver=route.driver, route=route)


JSON = {"HTTP_ACCEPT": "application/json"}


def test_pages_need_a_signed_in_driver():
    assert Client().get(reverse("driver_home")).status_code == 403
    assert Client().post(reverse("driver_action"), {"kind": "load"}).status_code == 403


def test_driver_sees_their_route_and_no_one_elses(merchant_a, merchant_b):
    route = make_route(merchant_a.merchant, stops=2)
    stop = route.stops.first()
    own = signed_in(route.driver)
    home = own.get(reverse("driver_home"))
    assert home.status_code == 302 and home.url == reverse("driver_route", args=[route.pk])
    page = own.get(home.url)
    assert page.status_code == 200 and codes(route)[0] in page.content.decode()
    assert own.get(reverse("driver_stop", args=[stop.pk])).status_code == 200
    for other in (make_driver(merchant_a.merchant, name="Kim"), make_driver(merchant_b.merchant)):
        client = signed_in(other)
        assert client.get(reverse("driver_route", args=[route.pk])).status_code == 404
        assert client.get(reverse("driver_stop", args=[stop.pk])).status_code == 404
        refused = client.post(
            reverse("driver_action"),
            {"client_id": "abcdef123456", "kind": "load", "route_id": route.pk, "code": "X"},
            **JSON,
        )
        assert refused.status_code == 404 and refused.json()["code"] == "not_found"
        position = client.post(
            reverse("driver_position"),
            json.dumps({"route_id": route.pk, "latitude": 41.9, "longitude": -87.6}),
            content_type="application/json",
        )
        assert position.status_code == 404
    assert not DriverAction.objects.exists()


def test_forms_work_without_javascript(merchant_a):
    route = make_route(merchant_a.merchant, stops=1)
    client = signed_in(route.driver)
    back = reverse("driver_route", args=[route.pk])
    loaded = client.post(
        reverse("driver_action"),
        {"client_id": "nojs00000001", "kind": "load", "route_id": route.pk,
         "code": codes(route)[0], "back": back},
    )  # fmt: skip
    assert loaded.status_code == 302 and loaded.url == back
    start = client.post(
        reverse("driver_action"),
        {"client_id": "nojs00000002", "kind": "start_route", "route_id": route.pk,
         "back": "https://evil.example/"},
    )  # fmt: skip
    assert start.status_code == 302 and start.url == "/driver/"  # no open redirect
    assert Route.objects.get(pk=route.pk).state == Route.State.STARTED


@pytest.mark.parametrize(
    "fields",
    [
        {"client_id": "bad\x00id-00000", "kind": "load", "code": "x"},
        {"client_id": "x" * 65, "kind": "load", "code": "x"},
        {"client_id": "ábcdefghijkl", "kind": "load", "code": "x"},
        {"client_id": "goodid000001", "kind": "fly"},
        {"client_id": "goodid000002", "kind": "load", "code": "x" * 5000},
        {"client_id": "goodid000003", "kind": "load", "code": "<script>\x00"},
        {"client_id": "goodid000004", "kind": "load", "code": "x", "happened_at": "9999-99-99"},
        {
            "client_id": "goodid000005",
            "kind": "load",
            "code": "x",
            "happened_at": "2001-01-01T00:00:00Z",
        },
        {
            "client_id": "goodid000006",
            "kind": "load",
            "code": "x",
            "happened_at": "2026-01-01T00:00",
        },
    ],
)
def test_hostile_actions_are_refused_with_a_problem(merchant_a, fields):
    route = make_route(merchant_a.merchant, stops=1)
    client = signed_in(route.driver)
    response = client.post(reverse("driver_action"), {**fields, "route_id": route.pk}, **JSON)
    assert response.status_code == 422, response.content
    assert response.json()["detail"]
    assert not DriverAction.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        "not json",
        '{"route_id": ROUTE, "latitude": "nan", "longitude": 1}',
        '{"route_id": ROUTE, "latitude": 1e400, "longitude": 1}',
        '{"route_id": ROUTE, "latitude": 91, "longitude": 1}',
        '{"route_id": ROUTE, "latitude": 41.9, "longitude": -87.6, "recorded_at": "3026-01-01"}',
        '{"route_id": ROUTE, "latitude": 41.9, "longitude": -87.6, "recorded_at": 12}',
        '{"route_id": "ROUTE\\u0000", "latitude": 41.9, "longitude": -87.6}',
    ],
)
def test_hostile_positions_are_refused(merchant_a, body):
    route = started(make_route(merchant_a.merchant, stops=1))
    client = signed_in(route.driver)
    response = client.post(
        reverse("driver_position"),
        body.replace("ROUTE", str(route.pk)),
        content_type="application/json",
    )
    assert response.status_code in (400, 404, 422), response.content
    assert Route.objects.get(pk=route.pk).position_at is None


def test_positions_are_taken_only_while_the_route_runs(merchant_a):
    route = make_route(merchant_a.merchant, stops=1)
    client = signed_in(route.driver)
    body = {"route_id": route.pk, "latitude": 41.9, "longitude": -87.6,
            "recorded_at": timezone.now().isoformat()}  # fmt: skip
    before = client.post(
        reverse("driver_position"), json.dumps(body), content_type="application/json"
    )
    assert before.status_code == 409
    started(route)
    after = client.post(
        reverse("driver_position"), json.dumps(body), content_type="application/json"
    )
    assert after.status_code == 204
    assert route.stops.get().eta is not None


def test_service_worker_controls_the_app(merchant_a):
    response = Client().get(reverse("driver_service_worker"))
    assert response.status_code == 200
    assert response["Service-Worker-Allowed"] == "/driver/"
    assert "caches.open" in response.content.decode()


def test_out_for_delivery_message_names_the_driver_and_the_window(merchant_a):
    route = started(make_route(merchant_a.merchant, stops=1))
    note = Notification.objects.get(kind="out_for_delivery")
    send_notifications(notification_ids=[note.pk])
    message = mail.outbox[-1]
    body = message.body
    assert "Look out for Sam (Cargo bike)" in body
    assert route.stops.get().shipment.eta_until is not None


def test_the_shopper_sees_the_delivery_photo_by_the_tracking_token(merchant_a):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    route = started(make_route(merchant_a.merchant, stops=2))
    one, two = route.stops.select_related("shipment").order_by("sequence")
    photo_url = reverse("tracking_delivery_photo", args=[one.shipment.public_token])
    assert Client().get(photo_url).status_code == 404  # not delivered yet
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (20, 120, 30)).save(buffer, format="PNG")
    services.record_stop_outcome(
        driver=route.driver, stop=one, outcome="safe_place",
        photo=SimpleUploadedFile("porch.png", buffer.getvalue(), content_type="image/png"),
    )  # fmt: skip
    response = Client().get(photo_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    page = Client().get(reverse("tracking_page", args=[one.shipment.public_token]))
    assert photo_url in page.content.decode()
    # Another stop's token shows nothing of this one.
    assert (
        Client()
        .get(reverse("tracking_delivery_photo", args=[two.shipment.public_token]))
        .status_code
        == 404
    )
    assert Client().get(reverse("tracking_delivery_photo", args=["x" * 65])).status_code == 404


def test_delivered_and_failed_messages_carry_the_photo_and_what_happens_next(merchant_a):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    route = started(make_route(merchant_a.merchant, stops=2))
    one, two = route.stops.select_related("shipment").order_by("sequence")
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (20, 120, 30)).save(buffer, format="PNG")
    services.record_stop_outcome(
        driver=route.driver, stop=one, outcome="safe_place",
        photo=SimpleUploadedFile("porch.png", buffer.getvalue(), content_type="image/png"),
    )  # fmt: skip
    services.record_stop_outcome(
        driver=route.driver, stop=two, outcome="failed", reason="not_home",
        next_step="back_to_hub",
    )  # fmt: skip

    delivered = Notification.objects.get(shipment=one.shipment, kind="delivered")
    failed = Notification.objects.get(shipment=two.shipment, kind="failed_attempt")
    mail.outbox.clear()
    send_notifications(notification_ids=[delivered.pk, failed.pk])
    by_to = {message.subject: message for message in mail.outbox}
    photo = reverse("tracking_delivery_photo", args=[one.shipment.public_token])
    delivered_mail = next(m for m in mail.outbox if "delivered" in m.subject)
    failed_mail = next(m for m in mail.outbox if m is not delivered_mail)
    assert photo in delivered_mail.body and "See where your parcel was left" in delivered_mail.body
    assert "goes back to the shop" in failed_mail.body
    assert "Choose a locker" not in failed_mail.body  # the next step is decided already
    assert photo not in failed_mail.body and len(by_to) == 2


def test_the_phone_offers_to_a_locker_and_says_when_no_locker_fits(merchant_a):
    route = started(make_route(merchant_a.merchant, stops=2))
    stop = route.stops.order_by("sequence").first()
    client = signed_in(route.driver)
    page = client.get(reverse("driver_stop", args=[stop.pk])).content.decode()
    assert '<option value="locker">' in page
    failed = client.post(
        reverse("driver_action"),
        {"client_id": "lockerstep01", "kind": "failed", "stop_id": stop.pk,
         "reason": "not_home", "next_step": "locker"},
        follow=True,
    )  # fmt: skip
    # No pickup network near this shopper: the stop goes with the next wave, and the driver is told.
    assert "No locker near the shopper fits this parcel" in failed.content.decode()
    answer = client.post(
        reverse("driver_action"),
        {"client_id": "lockerstep01", "kind": "failed", "stop_id": stop.pk,
         "reason": "not_home", "next_step": "locker"},
        **JSON,
    )  # fmt: skip
    assert answer.json()["applied"] is False and answer.json()["next_step"] == "next_wave"
