"""The order state machine (fulfillment/orders/services/status.py): booking needs a picked
order, the parcel's news moves the order forward only, each move is in the order's history,
shopper messages never go out for a state earlier than one already reached, and two pieces of
news for one order at once both count (PostgreSQL, separate connections). The tests marked
sqlite also run on SQLite: tracking ingest has a PostgreSQL branch."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import mail
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from fulfillment.couriers.adapters import TrackingStatus as S
from fulfillment.models import Allocation, Notification, Order, OrderEvent, Shipment
from fulfillment.orders.services import status as order_status
from fulfillment.orders.services.orders import advance_order, cancel_order
from fulfillment.orders.services.status import OrderNotReadyToShip
from fulfillment.shipments.services.booking import book_shipment, request_shipment
from fulfillment.tracking.ingest import ingest_results
from fulfillment.tracking.notifications import send_notification
from merchant.models import StockLevel
from tests.factories.couriers import make_account, make_service
from tests.factories.orders import make_order
from tests.support.tracking import add_shipment, event, result, sandbox_account

T0 = dt.datetime(2025, 6, 2, 8, 0, tzinfo=dt.UTC)


def hours(n: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=n)


def history(order: Order) -> list[tuple[str, str]]:
    return list(
        OrderEvent.objects.filter(order=order)
        .exclude(from_status="")
        .order_by("at", "pk")
        .values_list("from_status", "to_status")
    )


def picked(merchant) -> Order:
    order = make_order(merchant)
    return advance_order(order=order, to_status="picked", user=None)


def picked_for_a_locker(merchant) -> Order:
    order = picked(merchant)
    Order.objects.filter(pk=order.pk).update(
        delivery_kind=Order.DeliveryKind.LOCKER, pickup_location_ref="locker:1"
    )
    order.refresh_from_db()
    return order


@pytest.fixture
def courier(merchant_a):
    return sandbox_account(merchant_a.merchant)


def ingest(account, shipment, *events) -> None:
    n = shipment.tracking_number
    ingest_results(account=account, results={n: result(n, *events)})


# --- booking ------------------------------------------------------------------------------


@pytest.mark.sqlite
@pytest.mark.django_db
def test_shipping_an_allocated_order_picks_it_in_the_same_step(merchant_a):
    merchant = merchant_a.merchant
    make_service(make_account(merchant))
    order = make_order(merchant, quantity=2)
    level = StockLevel.objects.get(product=order.lines.get().product)
    assert (level.on_hand, level.reserved) == (2, 2)

    shipment = request_shipment(merchant=merchant, order=order)

    order.refresh_from_db()
    assert order.status == "picked" and shipment.order_id == order.pk
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (0, 0)  # the units left the shelf
    assert set(Allocation.objects.filter(order=order).values_list("state", flat=True)) == {"picked"}
    step = OrderEvent.objects.get(order=order, to_status="picked")
    assert (step.from_status, step.note) == ("allocated", "Picked to ship")


@pytest.mark.sqlite
@pytest.mark.django_db
def test_a_cancelled_order_cannot_ship_and_nothing_is_written(merchant_a):
    merchant = merchant_a.merchant
    make_service(make_account(merchant))
    order = cancel_order(order=make_order(merchant), user=None)

    with pytest.raises(OrderNotReadyToShip) as refused:
        request_shipment(merchant=merchant, order=order)

    assert "cancelled cannot ship" in " ".join(refused.value.messages)
    assert not Shipment.objects.filter(order=order).exists()


@pytest.mark.sqlite
@pytest.mark.django_db
def test_the_api_refuses_to_ship_a_cancelled_order_with_a_422_problem(merchant_a, api_client_a):
    make_service(make_account(merchant_a.merchant))
    order = cancel_order(order=make_order(merchant_a.merchant), user=None)
    answer = api_client_a.post(
        "/api/v1/couriers/shipments", {"order_id": order.pk}, content_type="application/json"
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "order_id"


@pytest.mark.sqlite
@pytest.mark.django_db
def test_the_booking_task_does_not_book_an_order_cancelled_after_it_was_queued(merchant_a):
    merchant = merchant_a.merchant
    make_service(make_account(merchant))
    order = make_order(merchant)
    shipment = request_shipment(merchant=merchant, order=order)
    cancel_order(order=order, user=None)

    booked = book_shipment(shipment_id=shipment.pk)

    assert booked.tracking_number == "" and "cancelled" in booked.last_error


# --- the parcel's news moves the order ------------------------------------------------------


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_in_transit_ships_the_order_and_delivered_delivers_it_with_its_history(merchant_a, courier):
    account, service = courier
    order = picked(merchant_a.merchant)
    shipment = add_shipment(account, service, order=order)
    n = shipment.tracking_number

    ingest(account, shipment, event(n, S.IN_TRANSIT, hours(1)))
    order.refresh_from_db()
    assert order.status == "handed_over"

    ingest(account, shipment, event(n, S.OUT_FOR_DELIVERY, hours(20)))
    order.refresh_from_db()
    assert order.status == "handed_over"

    ingest(account, shipment, event(n, S.DELIVERED, hours(22)))
    order.refresh_from_db()
    assert order.status == "delivered"
    assert history(order)[-2:] == [("picked", "handed_over"), ("handed_over", "delivered")]
    last = OrderEvent.objects.filter(order=order).order_by("-pk").first()
    assert last.by is None and n in last.note and "delivered" in last.note


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_a_split_order_is_delivered_with_its_last_parcel_not_its_first(merchant_a, courier):
    account, service = courier
    order = picked(merchant_a.merchant)
    first = add_shipment(account, service, order=order)
    second = add_shipment(account, service, order=order)
    gone = add_shipment(account, service, order=order, cancelled_at=timezone.now())
    a, b = first.tracking_number, second.tracking_number

    ingest(account, first, event(a, S.IN_TRANSIT, hours(1)), event(a, S.DELIVERED, hours(5)))
    ingest(account, second, event(b, S.IN_TRANSIT, hours(2)))
    order.refresh_from_db()
    assert order.status == "handed_over"  # one parcel of two is still on its way
    assert "1 of 2 parcels" in OrderEvent.objects.filter(order=order).latest("pk").note

    ingest(account, second, event(b, S.DELIVERED, hours(9)))  # the cancelled one does not count
    order.refresh_from_db()
    assert order.status == "delivered"
    assert history(order)[-2:] == [("picked", "handed_over"), ("handed_over", "delivered")]
    assert gone.tracking_number not in OrderEvent.objects.filter(order=order).latest("pk").note


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_both_parcels_of_a_split_order_delivered_in_one_batch_deliver_it(merchant_a, courier):
    account, service = courier
    order = picked(merchant_a.merchant)
    first = add_shipment(account, service, order=order)
    second = add_shipment(account, service, order=order)
    a, b = first.tracking_number, second.tracking_number
    ingest_results(
        account=account,
        results={
            a: result(a, event(a, S.DELIVERED, hours(5))),
            b: result(b, event(b, S.DELIVERED, hours(6))),
        },
    )
    order.refresh_from_db()
    assert order.status == "delivered"


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_a_parcel_returned_to_the_sender_makes_the_order_returned(merchant_a, courier):
    account, service = courier
    shipment = add_shipment(account, service, order=picked(merchant_a.merchant))
    n = shipment.tracking_number
    ingest(account, shipment, event(n, S.IN_TRANSIT, hours(1)), event(n, S.RETURNED, hours(50)))
    order = Order.objects.get(pk=shipment.order_id)
    assert order.status == "returned"
    assert history(order)[-1] == ("picked", "returned")  # both pieces of news in one batch


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_a_return_parcel_back_at_the_point_makes_the_order_returned_and_not_shipped(
    merchant_a, courier
):
    account, service = courier
    order = picked(merchant_a.merchant)
    outbound = add_shipment(account, service, order=order)
    ingest(account, outbound, event(outbound.tracking_number, S.DELIVERED, hours(20)))
    back = add_shipment(account, service, order=order, is_return=True)
    n = back.tracking_number

    ingest(account, back, event(n, S.IN_TRANSIT, hours(40)))
    order.refresh_from_db()
    assert order.status == "delivered"  # the return's journey is no news of the order's
    ingest(account, back, event(n, S.DELIVERED, hours(60)))
    order.refresh_from_db()
    assert order.status == "returned"


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_a_pickup_orders_parcel_delivered_by_the_courier_waits_at_the_place(merchant_a, courier):
    account, service = courier
    order = picked(merchant_a.merchant)
    Order.objects.filter(pk=order.pk).update(delivery_kind="locker", pickup_location_ref="locker:1")
    shipment = add_shipment(account, service, order=order)
    ingest(account, shipment, event(shipment.tracking_number, S.DELIVERED, hours(20)))
    order.refresh_from_db()
    assert order.status == "at_pickup"  # only the locker's hand-over delivers it


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_an_order_with_a_pickup_place_but_kind_home_waits_at_the_place_when_delivered(
    merchant_a, courier
):
    # Intake accepts kind "home" with a pickup place; its label and booking go to the place,
    # so the courier's "delivered" means the parcel is at the place, not with the shopper.
    account, service = courier
    order = picked(merchant_a.merchant)
    Order.objects.filter(pk=order.pk).update(delivery_kind="home", pickup_location_ref="locker:1")
    shipment = add_shipment(account, service, order=order)
    ingest(account, shipment, event(shipment.tracking_number, S.DELIVERED, hours(20)))
    order.refresh_from_db()
    assert order.status == "at_pickup"


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_the_courier_delivering_to_a_locker_tells_the_shopper_ready_not_delivered(
    merchant_a, courier, client
):
    account, service = courier
    order = picked_for_a_locker(merchant_a.merchant)
    shipment = add_shipment(account, service, order=order)
    n = shipment.tracking_number
    ingest(account, shipment, event(n, S.OUT_FOR_DELIVERY, hours(19)))
    ingest(account, shipment, event(n, S.DELIVERED, hours(20)))

    # the locker's own "ready: your code" mail tells the shopper; the courier's "delivered"
    # would say the parcel is home while it waits in a compartment
    assert not Notification.objects.filter(shipment=shipment, kind="delivered").exists()
    shipment.refresh_from_db()
    page = client.get(reverse("tracking_page", args=[shipment.public_token]))
    assert page.status_code == 200
    assert '<h1 id="status-headline">Ready for pickup</h1>' in page.content.decode()
    status = client.get(reverse("tracking_status", args=[shipment.public_token]))
    assert status.status_code == 200  # still polling (286 would stop it) until collected


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_news_of_an_allocated_orders_parcel_picks_it_before_shipping_it(merchant_a, courier):
    account, service = courier
    order = make_order(merchant_a.merchant)  # booked before booking needed a picked order
    shipment = add_shipment(account, service, order=order)
    ingest(account, shipment, event(shipment.tracking_number, S.IN_TRANSIT, hours(1)))
    order.refresh_from_db()
    assert order.status == "handed_over"
    assert history(order)[-2:] == [("allocated", "picked"), ("picked", "handed_over")]
    level = StockLevel.objects.get(product=order.lines.get().product)
    assert (level.on_hand, level.reserved) == (0, 0)


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_late_and_out_of_order_news_never_moves_the_order_backwards(merchant_a, courier):
    account, service = courier
    order = picked(merchant_a.merchant)
    shipment = add_shipment(account, service, order=order)
    n = shipment.tracking_number

    ingest(account, shipment, event(n, S.DELIVERED, hours(22)))
    ingest(account, shipment, event(n, S.IN_TRANSIT, hours(1)))  # an older scan, late
    ingest(account, shipment, event(n, S.OUT_FOR_DELIVERY, hours(30)))  # a later stray scan

    order.refresh_from_db()
    assert order.status == "delivered"
    assert history(order)[-1] == ("picked", "delivered")
    assert OrderEvent.objects.filter(order=order, to_status="handed_over").count() == 0


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_news_of_a_cancelled_shipment_does_not_move_the_order(merchant_a, courier):
    account, service = courier
    order = picked(merchant_a.merchant)
    shipment = add_shipment(account, service, order=order, cancelled_at=timezone.now())
    ingest(account, shipment, event(shipment.tracking_number, S.IN_TRANSIT, hours(1)))
    order.refresh_from_db()
    assert order.status == "picked"


@pytest.mark.sqlite
@pytest.mark.django_db
def test_staff_can_no_longer_mark_a_delivered_order_handed_over(merchant_a):
    order = picked(merchant_a.merchant)
    order_status.follow_parcel(order_id=order.pk, to_status="delivered", note="test")
    with pytest.raises(order_status.TransitionNotAllowed):
        advance_order(order=order, to_status="handed_over", user=None)


# --- shopper messages in order ----------------------------------------------------------------


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_no_on_its_way_message_once_the_parcel_is_ready_at_the_pickup_place(merchant_a, courier):
    account, service = courier
    order = picked_for_a_locker(merchant_a.merchant)
    # The locker checked the parcel in (and sent the shopper its code) before the courier's
    # "in transit" reached us.
    order_status.follow_parcel(order_id=order.pk, to_status="at_pickup", note="checked in")
    shipment = add_shipment(account, service, order=order)

    ingest(account, shipment, event(shipment.tracking_number, S.IN_TRANSIT, hours(1)))

    assert not Notification.objects.filter(shipment=shipment, kind="shipped").exists()
    order.refresh_from_db()
    assert order.status == "at_pickup"


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_a_queued_on_its_way_message_is_not_sent_after_the_parcel_reached_the_locker(
    merchant_a, courier
):
    account, service = courier
    order = picked_for_a_locker(merchant_a.merchant)
    shipment = add_shipment(account, service, order=order)
    ingest(account, shipment, event(shipment.tracking_number, S.IN_TRANSIT, hours(1)))
    note = Notification.objects.get(shipment=shipment, kind="shipped")
    order_status.follow_parcel(order_id=order.pk, to_status="at_pickup", note="checked in")

    send_notification(notification_id=note.pk)

    note.refresh_from_db()
    assert note.state == "skipped" and "moved on" in note.detail
    assert mail.outbox == []


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_an_earlier_message_is_not_sent_after_a_later_one_went_out(merchant_a, courier):
    account, service = courier
    order = picked(merchant_a.merchant)
    shipment = add_shipment(account, service, order=order)
    ingest(account, shipment, event(shipment.tracking_number, S.IN_TRANSIT, hours(1)))
    shipped = Notification.objects.get(shipment=shipment, kind="shipped")
    ready = Notification.objects.create(
        merchant=merchant_a.merchant, shipment=shipment, kind="available_for_pickup"
    )
    send_notification(notification_id=ready.pk)
    assert len(mail.outbox) == 1

    send_notification(notification_id=shipped.pk)

    shipped.refresh_from_db()
    assert shipped.state == "skipped" and len(mail.outbox) == 1


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_messages_in_their_order_all_go_out_and_a_stale_one_does_not(merchant_a, courier):
    account, service = courier
    shipment = add_shipment(account, service, order=picked(merchant_a.merchant))
    n = shipment.tracking_number

    def send_pending() -> None:  # what the worker does after each batch
        for note in Notification.objects.filter(shipment=shipment, state="pending"):
            send_notification(notification_id=note.pk)

    for status, at in ((S.IN_TRANSIT, 1), (S.OUT_FOR_DELIVERY, 20)):
        ingest(account, shipment, event(n, status, hours(at)))
        send_pending()
    assert [m.subject.split(" ", 3)[-1] for m in mail.outbox] == [
        "Shop A is on its way",
        "parcel arrives today",
    ]
    # A failed attempt queued, then the parcel delivered before the worker got to it: the
    # shopper reads "delivered", and no "we missed you" after it.
    ingest(account, shipment, event(n, S.FAILED_ATTEMPT, hours(21)))
    ingest(account, shipment, event(n, S.DELIVERED, hours(22)))
    send_pending()
    assert mail.outbox[-1].subject.endswith("parcel was delivered") and len(mail.outbox) == 3
    missed = Notification.objects.get(shipment=shipment, kind="failed_attempt")
    assert missed.state == "skipped"


# --- concurrency (PostgreSQL) -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_pieces_of_news_for_one_order_at_once_both_count(merchant_a, courier):
    """The courier's "in transit" and the locker's hand-over for the same order arrive in two
    connections at the same instant: whichever goes first, the order ends delivered and its
    history is one unbroken chain (no step read a status another had already changed)."""
    assert connection.vendor == "postgresql"
    account, service = courier
    rounds = 6
    orders = [picked(merchant_a.merchant) for _ in range(rounds)]
    shipments = [add_shipment(account, service, order=o) for o in orders]

    def news(job: tuple[int, str]) -> None:
        i, which = job
        try:
            start[i].wait()
            if which == "courier":
                ingest(account, shipments[i], event(shipments[i].tracking_number, S.IN_TRANSIT, T0))
            else:
                order_status.follow_parcel(
                    order_id=orders[i].pk, to_status="delivered", note="collected"
                )
        finally:
            connections.close_all()

    start = [threading.Barrier(2) for _ in range(rounds)]
    jobs = [(i, which) for i in range(rounds) for which in ("courier", "locker")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(news, jobs))

    for order in orders:
        order.refresh_from_db()
        assert order.status == "delivered"
        chain = history(order)
        assert all(a[1] == b[0] for a, b in itertools.pairwise(chain)), chain
