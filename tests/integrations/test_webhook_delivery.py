"""Outgoing webhooks end to end in one process: real domain changes (order intake, tracking
ingest, pickup), real HTTP to a receiver thread on 127.0.0.1, retries run by hand with a fake
clock. The signature is checked by an independent verifier written from docs/webhooks.md."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from fulfillment.couriers.adapters.types import TrackingStatus
from fulfillment.tracking.ingest import ingest_results
from integrations.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from integrations.webhooks.services import deliveries, endpoints
from tests.factories.orders import make_order
from tests.support.tracking import add_shipment, event, result, sandbox_account

pytestmark = pytest.mark.django_db
STATUS_EVENTS = ["shipment.status_changed", "shipment.exception"]


def verify(
    secret: str, header: str, body: bytes, *, now: float | None, tolerance: int = 300
) -> bool:
    """The receiver's side, as docs/webhooks.md describes it (no Nearbox code). `now` None:
    no freshness check (the fake clock signs hours ahead of the real one)."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(fields["t"])
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    fresh = now is None or abs(now - timestamp) <= tolerance
    return fresh and hmac.compare_digest(expected, fields["v1"])


def subscribe(merchant, url: str, events: list[str]) -> tuple[WebhookEndpoint, str]:
    new = endpoints.create_endpoint(merchant=merchant, url=url, events=events)
    return new.endpoint, new.secret


def two_status_changes(merchant, capture) -> None:
    """A shipment goes in transit, then reports an exception: two changes, three events."""
    account, service = sandbox_account(merchant)
    shipment = add_shipment(account, service)
    number, start = shipment.tracking_number, timezone.now() - dt.timedelta(hours=3)
    with capture(execute=True):
        ingest_results(
            account=account,
            results={number: result(number, event(number, TrackingStatus.IN_TRANSIT, start))},
        )
    with capture(execute=True):
        ingest_results(
            account=account,
            results={
                number: result(
                    number,
                    event(number, TrackingStatus.IN_TRANSIT, start),
                    event(
                        number, TrackingStatus.EXCEPTION, start + dt.timedelta(hours=1), "Damaged"
                    ),
                )
            },
        )
    return shipment


def run_until_quiet(now: dt.datetime, *, step: dt.timedelta, rounds: int) -> dt.datetime:
    for _ in range(rounds):
        deliveries.run_due(now=now)
        if not WebhookDelivery.objects.filter(state__in=WebhookDelivery.OPEN_STATES).exists():
            break
        now += step
    return now


@pytest.mark.sqlite  # the default setup (make run) is SQLite
def test_a_receiver_failing_five_times_gets_each_event_once_in_order_with_valid_signatures(
    merchant_a, receiver, queued, django_capture_on_commit_callbacks
):
    receiver.fail_first = 5
    endpoint, secret = subscribe(merchant_a.merchant, receiver.url, STATUS_EVENTS)
    shipment = two_status_changes(merchant_a.merchant, django_capture_on_commit_callbacks)
    events = list(WebhookEvent.objects.order_by("pk"))
    assert [e.type for e in events] == [
        "shipment.status_changed",
        "shipment.status_changed",
        "shipment.exception",
    ]
    assert len(queued) == 3  # one task per delivery, queued after commit

    run_until_quiet(timezone.now(), step=dt.timedelta(hours=1), rounds=20)

    sent_ids = [r.headers["Nearbox-Event"] for r in receiver.requests]
    first = f"evt_{events[0].pk}"
    # The first event is tried six times (five 500s, then 204); nothing later overtakes it.
    assert sent_ids[:6] == [first] * 6
    assert [r.answered for r in receiver.requests[:6]] == [500] * 5 + [204]
    assert [r.headers["Nearbox-Event"] for r in receiver.accepted] == [
        f"evt_{e.pk}" for e in events
    ]
    assert len(receiver.requests) == 8
    for request in receiver.requests:
        assert verify(secret, request.headers["Nearbox-Signature"], request.body, now=None)
        assert request.headers["Content-Type"] == "application/json"
    body = receiver.accepted[2].document
    assert body["type"] == "shipment.exception"
    assert body["version"] == 1
    assert body["data"]["shipment"]["id"] == shipment.pk
    assert body["data"]["new_status"] == "exception"
    assert body["data"]["shipment"]["tracking_url"].startswith("http")
    rows = {d.event_id: d for d in WebhookDelivery.objects.all()}
    assert rows[events[0].pk].attempts == 6
    assert rows[events[0].pk].state == "delivered"
    assert rows[events[0].pk].last_status_code == 204
    assert [rows[e.pk].attempts for e in events[1:]] == [1, 1]
    delivery_header = receiver.accepted[0].headers["Nearbox-Delivery"]
    assert delivery_header == f"dlv_{rows[events[0].pk].pk}"
    endpoint.refresh_from_db()
    assert (endpoint.consecutive_failures, endpoint.is_active) == (0, True)


def test_a_tampered_body_or_another_secret_does_not_verify(merchant_a, receiver, queued):
    endpoint, secret = subscribe(merchant_a.merchant, receiver.url, ["order.created"])
    result = deliveries.send_test_event(endpoint=endpoint)
    assert result.ok and result.delivery.last_status_code == 204
    request = receiver.requests[0]
    header = request.headers["Nearbox-Signature"]
    assert verify(secret, header, request.body, now=time.time())
    assert not verify(secret, header, request.body.replace(b"Hello", b"Hullo"), now=time.time())
    assert not verify("whsec_other", header, request.body, now=time.time())
    assert not verify(secret, header, request.body, now=time.time() + 3600)  # a replay, later


def test_one_change_signalled_twice_is_one_event(merchant_a, receiver, queued):
    subscribe(merchant_a.merchant, receiver.url, ["order.created"])
    for _ in range(2):
        deliveries.record_event(
            merchant_id=merchant_a.merchant.pk,
            event_type="order.created",
            key="order.created:1",
            ordering_key="order:1",
            data={},
        )
    assert WebhookEvent.objects.count() == 1
    assert WebhookDelivery.objects.count() == 1


def test_order_intake_records_created_and_routed_and_nothing_without_a_subscriber(
    merchant_a, merchant_b, receiver, queued, django_capture_on_commit_callbacks
):
    subscribe(merchant_a.merchant, receiver.url, ["order.created", "order.routed"])
    with django_capture_on_commit_callbacks(execute=True):
        order = make_order(merchant_a.merchant)
        make_order(merchant_b.merchant)  # B has no endpoint: nothing is stored for it
    assert list(WebhookEvent.objects.values_list("merchant_id", "type").order_by("pk")) == [
        (merchant_a.merchant.pk, "order.created"),
        (merchant_a.merchant.pk, "order.routed"),
    ]
    deliveries.run_due()
    created, routed = (r.document for r in receiver.accepted)
    assert created["data"]["order"]["id"] == order.pk
    assert created["data"]["order"]["reference"] == order.reference
    assert routed["data"]["points"] and routed["data"]["order"]["status"] == "allocated"


def test_after_repeated_failures_the_endpoint_is_disabled_and_its_owner_emailed_once(
    merchant_a, receiver, queued, settings, django_capture_on_commit_callbacks
):
    settings.NEARBOX_WEBHOOKS_DISABLE_AFTER = 3
    receiver.fail_first = 1000
    endpoint, _ = subscribe(merchant_a.merchant, receiver.url, ["order.created"])
    for n in range(2):
        deliveries.record_event(
            merchant_id=merchant_a.merchant.pk,
            event_type="order.created",
            key=f"k{n}",
            ordering_key=f"order:{n}",
            data={},
        )
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):  # the email goes out on commit
        run_until_quiet(now, step=dt.timedelta(hours=1), rounds=5)
    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    assert "3 deliveries in a row failed" in endpoint.disabled_reason
    assert len(receiver.requests) == 3  # nothing after it was disabled
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [merchant_a.owner.email]
    assert receiver.url in mail.outbox[0].body
    # The events wait; enabling sends them (the receiver answers again).
    receiver.fail_first = 0
    receiver.requests.clear()
    endpoints.enable_endpoint(endpoint=endpoint)
    deliveries.run_due()
    assert len(receiver.accepted) == 2
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"delivered"}


def test_a_delivery_failing_past_its_window_is_given_up_and_the_next_one_waits_its_turn(
    merchant_a, receiver, queued, settings
):
    settings.NEARBOX_WEBHOOKS_RETRY_HOURS = 2
    receiver.fail_first = 1000
    endpoint, _ = subscribe(merchant_a.merchant, receiver.url, ["order.created", "order.routed"])
    for kind in ("order.created", "order.routed"):
        deliveries.record_event(
            merchant_id=merchant_a.merchant.pk,
            event_type=kind,
            key=kind,
            ordering_key="order:7",
            data={},
        )
    first, second = WebhookDelivery.objects.order_by("event_id")
    now = timezone.now()
    for _ in range(30):
        deliveries.run_due(now=now)
        first.refresh_from_db()
        if first.state == "failed":
            break
        now += dt.timedelta(minutes=10)
    assert first.state == "failed" and first.attempts >= 5
    second.refresh_from_db()
    assert (second.state, second.attempts) == ("pending", 0)  # never overtook the first
    # Every attempt failed for the whole window: the endpoint is off too.
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "Every delivery failed for 2 hours" in endpoint.disabled_reason
    receiver.fail_first = 0
    endpoints.enable_endpoint(endpoint=endpoint)
    assert deliveries.attempt_delivery(delivery_id=second.pk).state == "delivered"
    first.refresh_from_db()
    assert first.state == "failed"


def test_resend_from_the_log_sends_a_delivered_event_again(merchant_a, receiver, queued, client_a):
    _, secret = subscribe(merchant_a.merchant, receiver.url, ["order.created"])
    deliveries.record_event(
        merchant_id=merchant_a.merchant.pk,
        event_type="order.created",
        key="k",
        ordering_key="order:1",
        data={"order": {"id": 1}},
    )
    deliveries.run_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "delivered"
    response = client_a.post(f"/app/settings/integrations/webhooks/deliveries/{delivery.pk}/resend")
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("pending", 0)
    deliveries.run_due()
    assert [r.headers["Nearbox-Event"] for r in receiver.accepted] == [
        f"evt_{delivery.event_id}"
    ] * 2
    assert receiver.accepted[0].body == receiver.accepted[1].body
    assert verify(
        secret,
        receiver.accepted[1].headers["Nearbox-Signature"],
        receiver.accepted[1].body,
        now=time.time(),
    )


@pytest.mark.sqlite  # the default setup (make run) is SQLite
def test_two_deliveries_of_one_order_cannot_be_in_flight_at_once(merchant_a, queued):
    from tests.factories.integrations import make_endpoint

    endpoint = make_endpoint(merchant_a.merchant)
    for kind in ("order.created", "order.routed"):
        deliveries.record_event(
            merchant_id=merchant_a.merchant.pk,
            event_type=kind,
            key=kind,
            ordering_key="order:1",
            data={},
            endpoints=[endpoint],
        )
    first, second = WebhookDelivery.objects.order_by("pk")
    WebhookDelivery.objects.filter(pk=first.pk).update(state="sending")
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookDelivery.objects.filter(pk=second.pk).update(state="sending")
    # And the claim refuses the later one while the earlier is open.
    WebhookDelivery.objects.filter(pk=first.pk).update(state="pending")
    assert deliveries.attempt_delivery(delivery_id=second.pk) is None
    second.refresh_from_db()
    assert (second.state, second.attempts) == ("pending", 0)


def test_a_private_target_is_refused_before_any_request_in_production(
    merchant_a, receiver, queued, settings
):
    endpoint, _ = subscribe(merchant_a.merchant, receiver.url, ["order.created"])
    settings.NEARBOX_WEBHOOKS_ALLOW_PRIVATE = False
    result = deliveries.send_test_event(endpoint=endpoint)
    assert result.delivery.state == "failed"
    assert "not a public address" in result.delivery.last_error
    assert receiver.requests == []


def test_a_redirect_is_not_followed(merchant_a, receiver, queued):
    receiver.ok_status = 302
    endpoint, _ = subscribe(merchant_a.merchant, receiver.url, ["order.created"])
    result = deliveries.send_test_event(endpoint=endpoint)
    assert result.delivery.last_status_code == 302
    assert "redirects are not followed" in result.delivery.last_error
    assert len(receiver.requests) == 1


def test_pickup_events_carry_no_pin(
    merchant_a, receiver, queued, django_capture_on_commit_callbacks
):
    from lockers.services.pickup import hand_over, record_arrival
    from tests.factories.lockers import make_shop, order_for

    subscribe(merchant_a.merchant, receiver.url, ["pickup.ready", "pickup.collected"])
    shop = make_shop(merchant_a.merchant)
    order = order_for(merchant_a.merchant, shop)
    with django_capture_on_commit_callbacks(execute=True):
        arrival = record_arrival(place=shop, tracking_number=order.reference)
    with django_capture_on_commit_callbacks(execute=True):
        hand_over(place=shop, code=arrival.pin)
    deliveries.run_due()
    ready, collected = (r.document for r in receiver.accepted)
    assert ready["type"] == "pickup.ready" and collected["type"] == "pickup.collected"
    assert ready["data"]["parcel"]["place"]["kind"] == "shop"
    assert collected["data"]["parcel"]["status"] == "collected"
    for request in receiver.accepted:
        assert arrival.pin.encode() not in request.body
        assert arrival.qr_payload.encode() not in request.body


def test_booking_with_the_sandbox_courier_sends_shipment_booked_with_its_tracking_link(
    merchant_a, receiver, queued, sandbox, django_capture_on_commit_callbacks
):
    from fulfillment.orders.services.orders import advance_order
    from fulfillment.shipments.services.booking import book_shipment, request_shipment
    from tests.factories.couriers import make_account, make_service
    from tests.support.couriers import SANDBOX_KEY

    merchant = merchant_a.merchant
    account = make_account(
        merchant, courier="sandbox", name="Sandbox", credentials=f"api_key={SANDBOX_KEY}",
        base_url=sandbox.url, requests_per_second=50.0,
    )  # fmt: skip
    make_service(account, level="next_day", code="next-day", name="Next day")
    order = advance_order(order=make_order(merchant), to_status="picked", user=None)
    subscribe(merchant, receiver.url, ["shipment.booked"])
    shipment = request_shipment(merchant=merchant, order=order, option_id="rule")
    with django_capture_on_commit_callbacks(execute=True):
        booked = book_shipment(shipment_id=shipment.pk)
    assert booked.tracking_number
    deliveries.run_due()
    (sent,) = receiver.accepted
    data = sent.document["data"]
    assert sent.document["type"] == "shipment.booked"
    assert data["shipment"]["tracking_number"] == booked.tracking_number
    assert data["shipment"]["tracking_url"].endswith(f"/t/{booked.public_token}/")
    assert data["order"] == {"id": order.pk, "reference": order.reference, "status": "picked"}
    assert SANDBOX_KEY not in sent.body.decode()


@pytest.mark.sqlite  # the default setup (make run) is SQLite
def test_the_sweep_queues_due_retries_but_not_what_waits_its_turn_or_was_just_queued(
    merchant_a, receiver, queued, django_capture_on_commit_callbacks
):
    receiver.fail_first = 1
    subscribe(merchant_a.merchant, receiver.url, ["order.created", "order.routed"])
    with django_capture_on_commit_callbacks(execute=True):
        for kind in ("order.created", "order.routed"):
            deliveries.record_event(
                merchant_id=merchant_a.merchant.pk,
                event_type=kind,
                key=kind,
                ordering_key="order:3",
                data={},
            )
    first, second = WebhookDelivery.objects.order_by("event_id")
    assert queued == [first.pk, second.pk]  # queued once each, after commit
    queued.clear()
    now = timezone.now()
    assert deliveries.enqueue_due(now=now) == 0  # their own tasks are still in the queue
    deliveries.attempt_delivery(delivery_id=first.pk, now=now)  # fails: a retry later
    later = now + dt.timedelta(hours=1)
    assert deliveries.enqueue_due(now=later) == 1
    assert queued == [first.pk]  # not the second: it waits behind the first
    with django_capture_on_commit_callbacks(execute=True):
        deliveries.attempt_delivery(delivery_id=first.pk, now=later)
    assert queued == [first.pk, second.pk]  # the first delivered: the next in line goes


def test_an_endpoint_deleted_while_its_post_is_on_the_way_ends_the_attempt_quietly(
    merchant_a, receiver, queued, monkeypatch
):
    from integrations.webhooks import http

    endpoint, _ = subscribe(merchant_a.merchant, receiver.url, ["order.created"])
    deliveries.record_event(
        merchant_id=merchant_a.merchant.pk,
        event_type="order.created",
        key="k",
        ordering_key="order:1",
        data={},
    )
    delivery = WebhookDelivery.objects.get()
    real_post = http.post

    def post_then_delete(url, body, headers):
        answer = real_post(url, body, headers)
        endpoints.delete_endpoint(endpoint=endpoint)
        return answer

    monkeypatch.setattr(http, "post", post_then_delete)
    after = deliveries.attempt_delivery(delivery_id=delivery.pk)
    assert after is not None and after.pk == delivery.pk
    assert len(receiver.accepted) == 1
    assert not WebhookDelivery.objects.exists()


def test_a_status_change_of_a_merchant_without_endpoints_costs_no_query(
    merchant_a, merchant_b, receiver, queued, django_assert_num_queries
):
    from fulfillment.tracking.signals import shipment_status_changed
    from tests.factories.couriers import make_shipment

    subscribe(merchant_b.merchant, receiver.url, STATUS_EVENTS)  # another shop's endpoint
    shipment = make_shipment(merchant_a.merchant)
    change = {"shipment_id": shipment.pk, "old_status": "in_transit", "new_status": "exception"}
    shipment_status_changed.send(sender=None, merchant_id=merchant_a.merchant.pk, **change)
    with django_assert_num_queries(0):  # the cached set of merchants with endpoints answers
        shipment_status_changed.send(sender=None, merchant_id=merchant_a.merchant.pk, **change)
    with django_assert_num_queries(1):  # a sender that does not say whose shipment it is
        shipment_status_changed.send(sender=None, **change)
    assert not WebhookEvent.objects.exists()


def test_the_cached_set_of_merchants_with_endpoints_follows_every_change(merchant_a, merchant_b):
    from django.core.cache import cache

    from integrations.webhooks import active

    a, b = merchant_a.merchant.pk, merchant_b.merchant.pk
    assert not active.has_endpoints(a)  # the set is now cached without A
    endpoint, _ = subscribe(merchant_a.merchant, "https://example.com/hooks", ["order.created"])
    assert active.has_endpoints(a)
    WebhookEndpoint.objects.create(merchant_id=b, url="https://example.com/b", events=[])
    assert active.has_endpoints(b)  # made outside the services: post_save renews it
    endpoints.disable_endpoint(endpoint=endpoint)
    assert not active.has_endpoints(a)
    endpoints.enable_endpoint(endpoint=endpoint)
    assert active.has_endpoints(a)
    # A refill that read the rows before a change and stored them after it is not believed.
    gen_key, set_key = active._keys()
    cache.set(set_key, (cache.get(gen_key), frozenset()), 60)
    active.endpoints_changed()
    assert active.has_endpoints(a) and active.has_endpoints(b)
