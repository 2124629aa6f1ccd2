"""UPS Track Alert: a polled UPS parcel is subscribed (real HTTP to a local fake UPS answering
in the documented format), its pushed events are accepted only with the credential we
subscribed with, and a subscribed parcel is not polled until its subscription needs renewing."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from fulfillment.couriers.adapters.ups import ALERT_DAYS
from fulfillment.models import ShipmentEvent
from fulfillment.tracking import polling
from tests.factories.couriers import make_account, make_service
from tests.support.couriers import payload, payload_bytes
from tests.support.tracking import add_shipment

NUMBER = "1Z204W4R0308071865"
OTHER = "1Z023E2X0214323462"
SECRET = "track-alert-credential-4f1d9a"


def recent_details() -> bytes:
    """UPS's documented details answer, its scan moved to an hour ago (a 2021 scan would make
    the parcel look stuck, and a stuck parcel is no longer polled)."""
    details = payload("ups_track_v1_details_response.json")
    scan = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    [activity] = details["trackResponse"]["shipment"][0]["package"][0]["activity"]
    activity.update(date=scan.strftime("%Y%m%d"), time=scan.strftime("%H%M%S"))
    return json.dumps(details).encode()


class FakeUps:
    """OAuth, Track API details and Track Alert subscriptions, answering UPS's samples."""

    def __init__(self) -> None:
        self.subscriptions: list[dict[str, Any]] = []
        self.details_asked: list[str] = []
        self.refuse_with: tuple[int, bytes] | None = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                fake.details_asked.append(self.path.split("?")[0].rsplit("/", 1)[-1])
                self.answer(200, recent_details())

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.endswith("/oauth/token"):
                    self.answer(200, b'{"access_token": "tok-77", "expires_in": "14399"}')
                    return
                request = json.loads(body)
                fake.subscriptions.append({"headers": dict(self.headers), "body": request})
                if fake.refuse_with:
                    self.answer(*fake.refuse_with)
                    return
                numbers = request["trackingNumberList"]
                self.answer(200, json.dumps({"validTrackingNumbers": numbers}).encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_ups() -> Iterator[FakeUps]:
    server = FakeUps()
    yield server
    server.stop()


def ups_account(merchant, url: str, *, secret: str = SECRET):
    credentials = "client_id=ups-id-1\nclient_secret=ups-secret-2"
    if secret:
        credentials += f"\nwebhook_secret={secret}"
    account = make_account(
        merchant, courier="ups", credentials=credentials, base_url=url, requests_per_second=50
    )
    return account, make_service(account)


@pytest.mark.django_db
def test_a_polled_ups_parcel_is_subscribed_with_our_webhook_url_and_credential(
    merchant_a, fake_ups
):
    account, service = ups_account(merchant_a.merchant, fake_ups.url)
    shipment = add_shipment(account, service, number=NUMBER)
    before = timezone.now()

    polling.poll_batch(account_id=account.pk, shipment_ids=[shipment.pk])

    assert fake_ups.details_asked == [NUMBER]  # tracked first: Track Alert keeps no history
    [subscription] = fake_ups.subscriptions
    body, headers = subscription["body"], subscription["headers"]
    assert body["trackingNumberList"] == [NUMBER]
    assert body["destination"] == {
        "url": f"{settings.NEARBOX_BASE_URL}/webhooks/couriers/{account.webhook_token}",
        "credentialType": "Bearer",
        "credential": SECRET,
    }
    assert body["locale"] == "en_US" and body["countryCode"] == "US"
    assert headers["Authorization"] == "Bearer tok-77"
    assert headers["transId"] and headers["transactionSrc"] == "nearbox"
    shipment.refresh_from_db()
    renew = before + dt.timedelta(days=ALERT_DAYS) - polling.PUSH_RENEW_BEFORE
    assert renew <= shipment.push_subscribed_until <= renew + dt.timedelta(minutes=1)
    assert shipment.next_poll_at == shipment.push_subscribed_until


@pytest.mark.django_db
def test_a_refused_subscription_leaves_the_parcel_polled(merchant_a, fake_ups):
    fake_ups.refuse_with = (400, payload_bytes("ups_track_alert_subscription_error_400.json"))
    account, service = ups_account(merchant_a.merchant, fake_ups.url)
    shipment = add_shipment(account, service, number=NUMBER)

    polling.poll_batch(account_id=account.pk, shipment_ids=[shipment.pk])

    assert len(fake_ups.subscriptions) == 1
    shipment.refresh_from_db()
    assert shipment.push_subscribed_until is None
    assert shipment.next_poll_at is not None
    assert shipment.next_poll_at < timezone.now() + dt.timedelta(days=1)


@pytest.mark.django_db
def test_without_a_track_alert_credential_or_a_1z_number_nothing_is_subscribed(
    merchant_a, fake_ups
):
    account, service = ups_account(merchant_a.merchant, fake_ups.url, secret="")
    plain = add_shipment(account, service, number=NUMBER)
    polling.poll_batch(account_id=account.pk, shipment_ids=[plain.pk])
    other_account, other_service = ups_account(merchant_a.merchant, fake_ups.url)
    not_1z = add_shipment(other_account, other_service, number="H1234567890")
    polling.poll_batch(account_id=other_account.pk, shipment_ids=[not_1z.pk])

    assert fake_ups.details_asked == [NUMBER, "H1234567890"]
    assert fake_ups.subscriptions == []


@pytest.mark.django_db
def test_subscribed_parcels_are_not_polled_until_renewal_and_the_others_still_are(
    merchant_a, django_capture_on_commit_callbacks
):
    account, service = ups_account(merchant_a.merchant, "http://127.0.0.1:9")
    now = timezone.now()
    due = now - dt.timedelta(minutes=1)
    renew_at = now + dt.timedelta(days=5)
    pushed = add_shipment(account, service, number=NUMBER, next_poll_at=due,
                          push_subscribed_until=renew_at)  # fmt: skip
    polled = add_shipment(account, service, number=OTHER, next_poll_at=due)
    lapsed = add_shipment(account, service, number="1ZCIETST0111111114", next_poll_at=due,
                          push_subscribed_until=now - dt.timedelta(seconds=1))  # fmt: skip

    with django_capture_on_commit_callbacks(execute=False):
        report = polling.plan_polls(now=now, lease=dt.timedelta(minutes=10))

    assert report.claimed == 2 and report.pushed == 1
    for shipment in (pushed, polled, lapsed):
        shipment.refresh_from_db()
    assert pushed.next_poll_at == renew_at  # looked at again when the subscription needs it
    assert polled.next_poll_at == now + dt.timedelta(minutes=10)
    assert lapsed.next_poll_at == now + dt.timedelta(minutes=10)  # polled, then renewed


def pushed_event(name: str, number: str) -> bytes:
    event = payload(name)
    event["trackingNumber"] = number
    return json.dumps(event).encode()


@pytest.mark.django_db
def test_a_track_alert_event_with_our_credential_is_stored(merchant_a):
    account, service = ups_account(merchant_a.merchant, "http://127.0.0.1:9")
    shipment = add_shipment(account, service, number=NUMBER)
    body = pushed_event("ups_track_alert_event_out_for_delivery.json", NUMBER)

    answer = Client().post(
        f"/webhooks/couriers/{account.webhook_token}",
        data=body,
        content_type="application/json",
        headers={"credential": SECRET, "User-Agent": "UPSPubSubTrackingService"},
    )

    assert answer.status_code == 200, answer.content
    assert answer.json()["events"] == 1
    shipment.refresh_from_db()
    assert shipment.status == "out_for_delivery"
    [stored] = ShipmentEvent.objects.filter(shipment=shipment, source="webhook")
    assert stored.occurred_at == dt.datetime(2024, 4, 23, 13, 15, 19, tzinfo=dt.UTC)  # GMT time


@pytest.mark.django_db
@pytest.mark.parametrize("headers", [{}, {"credential": "guessed"}, {"credential": SECRET + "x"}])
def test_a_track_alert_event_without_our_credential_is_refused_and_stores_nothing(
    merchant_a, headers
):
    account, service = ups_account(merchant_a.merchant, "http://127.0.0.1:9")
    shipment = add_shipment(account, service, number=NUMBER)
    body = pushed_event("ups_track_alert_event_delivered.json", NUMBER)

    answer = Client().post(
        f"/webhooks/couriers/{account.webhook_token}",
        data=body,
        content_type="application/json",
        headers=headers,
    )

    assert answer.status_code == 401
    assert answer.json()["code"] == "bad_signature"
    shipment.refresh_from_db()
    assert shipment.status == "info_received"
    assert not ShipmentEvent.objects.filter(shipment=shipment).exists()


def hostile(change: dict) -> bytes:
    event = payload("ups_track_alert_event_out_for_delivery.json")
    event["trackingNumber"] = NUMBER
    event.update(change)
    return json.dumps(event).encode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, status",
    [
        (b"[" * 50_000, 400),
        (b"\x00\xff", 400),
        (hostile({"gmtActivityDate": "00010101", "localActivityDate": "00010101"}), 400),
        (hostile({"gmtActivityDate": "", "localActivityDate": "99999999"}), 400),
        (hostile({"activityStatus": {"type": "I", "code": "OT", "description": "a\x00b\ud800"}}),
         200),
        (hostile({"trackingNumber": "1Z" + "9" * 5000}), 200),  # nobody's parcel: ignored
        (hostile({"activityLocation": {"city": "<script>alert(1)</script>" * 50}}), 200),
    ],
    ids=["deep", "binary", "year-1", "bad-date", "nul-and-surrogate", "long-number", "markup"],
)  # fmt: skip
def test_hostile_track_alert_bodies_with_our_credential_never_break_the_endpoint(
    merchant_a, body, status
):
    account, service = ups_account(merchant_a.merchant, "http://127.0.0.1:9")
    shipment = add_shipment(account, service, number=NUMBER)

    answer = Client().post(
        f"/webhooks/couriers/{account.webhook_token}",
        data=body,
        content_type="application/json",
        headers={"credential": SECRET},
    )

    assert answer.status_code == status, answer.content
    texts = ShipmentEvent.objects.filter(shipment=shipment).values_list(
        "courier_description", "location"
    )
    for description, location in texts:
        assert "\x00" not in description + location
        assert (description + location).encode("utf-8")
