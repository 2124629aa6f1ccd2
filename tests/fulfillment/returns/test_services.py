"""Return requests through the services, on PostgreSQL: asking, approving, rejecting, receiving
(stock back at the right point, exactly once, even when two receives race)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from fulfillment.couriers.adapters import TrackingEvent, TrackingStatus, make_event_id
from fulfillment.models import Order, OrderLine
from fulfillment.models.returns import ReturnRequest, ReturnRequestLine
from fulfillment.returns.services import lookup
from fulfillment.returns.services.requests import (
    ReturnNotAllowed,
    approve_return,
    create_return_request,
    receive_by_code,
    receive_return,
    reject_return,
)
from fulfillment.returns.services.settings import get_return_settings, update_return_settings
from fulfillment.shipments.services.booking import record_event
from merchant.models import StockLevel, StockMovement
from tests.fulfillment.returns.conftest import delivered_order

REASON = "Too small"


def settings_for(merchant, **changes):
    prefs = get_return_settings(merchant)
    values = dict(
        window_days=prefs.window_days,
        reasons=prefs.reasons,
        auto_approve=prefs.auto_approve,
        allow_label=prefs.allow_label,
        allow_dropoff=prefs.allow_dropoff,
    )
    values.update(changes)
    return update_return_settings(merchant=merchant, **values)


def only_line(order: Order) -> OrderLine:
    return OrderLine.objects.get(order=order)


def on_hand(order: Order) -> int:
    allocation = order.allocations.first()
    return StockLevel.objects.get(point=allocation.point, product=allocation.line.product).on_hand


def deliver(shipment) -> None:
    now = timezone.now()
    record_event(
        shipment=shipment,
        event=TrackingEvent(
            tracking_number=shipment.tracking_number,
            status=TrackingStatus.DELIVERED,
            occurred_at=now,
            courier_code="delivered",
            courier_description="Delivered to the shop",
            event_id=make_event_id("test", shipment.tracking_number, "delivered"),
        ),
    )


@pytest.mark.sqlite  # `make run` is SQLite: the whole return works there too
@pytest.mark.django_db(transaction=True)
def test_an_auto_approved_label_return_comes_back_and_restocks_its_point(merchant_a):
    merchant = merchant_a.merchant
    order = delivered_order(merchant, quantity=3)
    before = on_hand(order)

    request = create_return_request(
        merchant=merchant,
        order=order,
        quantities={only_line(order).pk: 2},
        reason=REASON,
        method="label",
    )

    assert request.state == ReturnRequest.State.APPROVED
    shipment = request.shipment
    assert shipment.is_return and shipment.tracking_number
    assert request.point == order.allocations.first().point
    deliver(shipment)  # the courier's "delivered" for the return parcel, after commit

    request.refresh_from_db()
    order.refresh_from_db()
    assert request.state == ReturnRequest.State.RECEIVED and request.received_at
    assert order.status == Order.Status.RETURNED
    assert on_hand(order) == before + 2
    deliver(shipment)  # the same event again changes nothing
    assert on_hand(order) == before + 2


@pytest.mark.django_db(transaction=True)
def test_two_receives_at_once_put_the_stock_back_once(merchant_a):
    """The courier's delivery and a staff scan race in two connections: one RETURN movement."""
    assert connection.vendor == "postgresql"
    merchant = merchant_a.merchant
    settings_for(merchant, allow_dropoff=True)
    rounds = 4
    requests = []
    for _ in range(rounds):
        order = delivered_order(merchant, quantity=2)
        requests.append(
            create_return_request(
                merchant=merchant,
                order=order,
                quantities={only_line(order).pk: 2},
                reason=REASON,
                method="dropoff",
            )
        )
    start = [threading.Barrier(2) for _ in range(rounds)]

    def receive(i: int) -> None:
        try:
            start[i].wait()
            receive_return(merchant=merchant, request=requests[i])
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(receive, [i for i in range(rounds) for _ in range(2)]))

    for request in requests:
        moves = StockMovement.objects.filter(reference=f"return:{request.pk}")
        assert [m.on_hand_delta for m in moves] == [2]
        request.refresh_from_db()
        assert request.state == ReturnRequest.State.RECEIVED


@pytest.mark.django_db
def test_more_than_was_shipped_is_refused_and_nothing_is_stored(merchant_a):
    merchant = merchant_a.merchant
    order = delivered_order(merchant, quantity=2)
    for quantity in (3, 2**40, -1, "lots", True):
        with pytest.raises(ValidationError):
            create_return_request(
                merchant=merchant,
                order=order,
                quantities={only_line(order).pk: quantity},
                reason=REASON,
                method="label",
            )
    assert not ReturnRequest.objects.filter(order=order).exists()


@pytest.mark.django_db
def test_a_line_of_another_merchants_order_is_refused(merchant_a, merchant_b):
    order = delivered_order(merchant_a.merchant)
    foreign = only_line(delivered_order(merchant_b.merchant))
    with pytest.raises(ValidationError) as error:
        create_return_request(
            merchant=merchant_a.merchant,
            order=order,
            quantities={foreign.pk: 1},
            reason=REASON,
            method="label",
        )
    assert "not part of this order" in str(error.value)
    assert not ReturnRequest.objects.exists()


@pytest.mark.django_db
def test_the_schema_refuses_a_quantity_above_what_shipped(merchant_a):
    merchant = merchant_a.merchant
    settings_for(merchant, auto_approve=False)
    order = delivered_order(merchant, quantity=2)
    request = create_return_request(
        merchant=merchant, order=order, quantities={only_line(order).pk: 1}, reason=REASON,
        method="label",
    )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        ReturnRequestLine.objects.filter(request=request).update(quantity=3)


@pytest.mark.django_db
def test_one_open_request_per_order_and_what_is_asked_counts_against_the_next(merchant_a):
    merchant = merchant_a.merchant
    settings_for(merchant, auto_approve=False)
    order = delivered_order(merchant, quantity=3)
    line = only_line(order)
    first = create_return_request(
        merchant=merchant, order=order, quantities={line.pk: 2}, reason=REASON, method="label"
    )
    assert first.state == ReturnRequest.State.REQUESTED
    with pytest.raises(ReturnNotAllowed, match="already under way"):
        create_return_request(
            merchant=merchant, order=order, quantities={line.pk: 1}, reason=REASON, method="label"
        )

    reject_return(merchant=merchant, request=first, note="Worn")
    first.refresh_from_db()
    assert first.state == ReturnRequest.State.REJECTED and first.note == "Worn"
    # A rejected request gives its units back to what may be asked.
    second = create_return_request(
        merchant=merchant, order=order, quantities={line.pk: 3}, reason=REASON, method="label"
    )
    approved = approve_return(merchant=merchant, request=second, note="OK")
    assert approved.state == ReturnRequest.State.APPROVED and approved.shipment.is_return
    with pytest.raises(ReturnNotAllowed):
        reject_return(merchant=merchant, request=approved)


@pytest.mark.django_db
def test_a_closed_window_and_an_unknown_reason_or_method_are_refused(merchant_a):
    merchant = merchant_a.merchant
    order = delivered_order(merchant)
    line = only_line(order)
    with pytest.raises(ValidationError, match="reasons listed"):
        create_return_request(
            merchant=merchant, order=order, quantities={line.pk: 1}, reason="<b>x</b>",
            method="label",
        )  # fmt: skip
    with pytest.raises(ValidationError, match="ways to send"):
        create_return_request(
            merchant=merchant, order=order, quantities={line.pk: 1}, reason=REASON,
            method="dropoff",
        )  # fmt: skip
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - dt.timedelta(days=90))
    order.events.update(at=timezone.now() - dt.timedelta(days=60))
    with pytest.raises(ReturnNotAllowed, match="window"):
        create_return_request(
            merchant=merchant, order=order, quantities={line.pk: 1}, reason=REASON,
            method="label",
        )  # fmt: skip


@pytest.mark.sqlite  # `make run` is SQLite: the whole return works there too
@pytest.mark.django_db(transaction=True)
def test_a_dropoff_code_received_at_the_counter_returns_the_order(merchant_a):
    merchant = merchant_a.merchant
    settings_for(merchant, allow_dropoff=True)
    order = delivered_order(merchant, quantity=1)
    before = on_hand(order)
    request = create_return_request(
        merchant=merchant, order=order, quantities={only_line(order).pk: 1}, reason=REASON,
        method="dropoff",
    )  # fmt: skip
    assert request.state == ReturnRequest.State.APPROVED and len(request.dropoff_code) == 8
    assert request.shipment is None

    with pytest.raises(ValidationError):
        receive_by_code(merchant=merchant, code="NOPE\x00")
    received = receive_by_code(merchant=merchant, code=request.dropoff_code.lower())

    order.refresh_from_db()
    assert received.state == ReturnRequest.State.RECEIVED
    assert order.status == Order.Status.RETURNED and on_hand(order) == before + 1


@pytest.mark.django_db
def test_the_lookup_answers_alike_for_a_wrong_number_or_email_and_then_throttles(
    merchant_a, settings
):
    settings.NEARBOX_RETURNS_LOOKUPS_PER_WINDOW = 4
    merchant = merchant_a.merchant
    # The counter lives in Redis, which outlives the test database: a client of its own.
    client = uuid.uuid4().hex
    order = delivered_order(merchant)
    found = lookup.find_order_for_shopper(
        merchant=merchant, order_number=order.reference, email=" ADA@example.com", client=client
    )
    assert found == order
    messages = set()
    for number, email in ((order.reference, "eve@example.com"), ("NOPE-1", "ada@example.com")):
        with pytest.raises(lookup.LookupFailed) as error:
            lookup.find_order_for_shopper(
                merchant=merchant, order_number=number, email=email, client=client
            )
        messages.add(str(error.value))
    assert messages == {lookup.WRONG_PAIR}
    with pytest.raises(lookup.LookupFailed):
        lookup.find_order_for_shopper(
            merchant=merchant, order_number="X", email="x@example.com", client=client
        )
    with pytest.raises(lookup.LookupThrottled):  # the fifth try from this client
        lookup.find_order_for_shopper(
            merchant=merchant, order_number=order.reference, email="ada@example.com", client=client
        )


@pytest.mark.django_db
def test_a_portal_key_is_only_good_for_its_own_merchant(merchant_a, merchant_b):
    order = delivered_order(merchant_a.merchant)
    key = lookup.portal_key(order)
    assert lookup.order_for_portal_key(merchant=merchant_a.merchant, key=key) == order
    assert lookup.order_for_portal_key(merchant=merchant_b.merchant, key=key) is None
    assert lookup.order_for_portal_key(merchant=merchant_a.merchant, key=key + "x") is None


@pytest.mark.django_db
def test_an_order_number_counts_as_one_however_it_is_written(merchant_a, settings):
    """'12', '012' and '0012' find the same order (by its id): they share one counter, else
    leading zeros (or case) would give an attacker a fresh set of tries at the same order."""
    import redis

    settings.NEARBOX_RETURNS_LOOKUPS_PER_WINDOW = 3
    merchant = merchant_a.merchant
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(f"*returns-order:{merchant.pk}:*"):
        client.delete(key)
    order = delivered_order(merchant, reference="")
    throttled = 0
    for zeros in range(6):
        number = "0" * zeros + str(order.pk)
        with pytest.raises((lookup.LookupFailed, lookup.LookupThrottled)) as error:
            lookup.find_order_for_shopper(
                merchant=merchant,
                order_number=number,
                email="eve@example.com",
                client=uuid.uuid4().hex,  # a fresh address each try
            )
        throttled += isinstance(error.value, lookup.LookupThrottled)
    assert throttled == 3
