"""Voiding a label before hand-over, against the real sandbox courier: the courier cancels it,
the order ships again under a new idempotency key, two clicks at once cancel once, and a
parcel the courier has is refused with a clear reason on the page and in the API."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from fulfillment.couriers.adapters import get_adapter
from fulfillment.couriers.adapters.http import CourierHttp
from fulfillment.couriers.selectors import rate_input_for_order
from fulfillment.couriers.services.rates import quote_request
from fulfillment.models import Allocation, OrderEvent, Shipment
from fulfillment.models.shipments import RefundState
from fulfillment.shipments.services.booking import book_shipment, request_shipment
from fulfillment.shipments.services.voiding import CannotVoid, void_shipment
from fulfillment.shipments.signals import shipment_voided
from tests.factories.couriers import make_account, make_service, make_shipment
from tests.factories.orders import make_order
from tests.fulfillment.shipments.test_booking_sandbox import sandbox_account
from tests.support.couriers import SANDBOX_KEY, start_sandbox
from tests.support.helpers import wait_for


@pytest.fixture(scope="module")
def sandbox():
    server = start_sandbox("--speed", "1")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def fast_sandbox():
    """A sandbox whose parcels are picked up almost at once (a simulated day per second)."""
    server = start_sandbox("--speed", "86400")
    yield server
    server.stop()


def booked(merchant, order) -> Shipment:
    shipment = request_shipment(merchant=merchant, order=order, option_id="rule")
    return book_shipment(shipment_id=shipment.pk)


@pytest.mark.django_db
def test_a_booked_label_is_voided_at_the_courier_and_the_order_ships_again(
    merchant_a, sandbox, django_capture_on_commit_callbacks
):
    merchant = merchant_a.merchant
    sandbox_account(merchant, sandbox.url)
    order = make_order(merchant, quantity=2)
    sandbox.reset()
    first = booked(merchant, order)
    assert first.tracking_number.startswith("SBX")
    allocations = list(Allocation.objects.filter(order=order).values_list("pk", "state"))
    heard = []
    shipment_voided.connect(lambda **kw: heard.append(kw["shipment_id"]), weak=False)

    with django_capture_on_commit_callbacks(execute=True):
        voided = void_shipment(shipment=first, by=merchant_a.owner)

    assert voided.voided_at is not None and voided.cancelled_at is not None
    assert voided.voided_by == merchant_a.owner
    assert voided.refund_state == RefundState.REQUESTED
    assert voided.refund_minor == first.price_minor
    assert sum(v for k, v in sandbox.stats().items() if k.startswith("DELETE")) == 1
    assert heard == [first.pk]
    order.refresh_from_db()
    assert order.status == "picked" and order.can_ship
    assert list(Allocation.objects.filter(order=order).values_list("pk", "state")) == allocations
    assert OrderEvent.objects.filter(order=order, note__contains="voided").count() == 1

    again = booked(merchant, order)  # the order ships again: a new key, a new number
    assert again.pk != first.pk and again.idempotency_key != first.idempotency_key
    assert again.tracking_number and again.tracking_number != first.tracking_number
    assert void_shipment(shipment=first, by=None).voided_at == voided.voided_at  # idempotent


@pytest.mark.django_db
def test_the_page_and_the_api_void_and_then_refuse_to_print_the_label(
    merchant_a, client_a, api_client_a, sandbox
):
    merchant = merchant_a.merchant
    sandbox_account(merchant, sandbox.url)
    order = make_order(merchant)
    shipment = booked(merchant, order)

    page = client_a.get(f"/app/couriers/shipments/{shipment.pk}/").content.decode()
    assert "Void label" in page
    response = client_a.post(f"/app/couriers/shipments/{shipment.pk}/void", {"next": "order"})
    assert response.status_code == 302 and response["Location"].endswith(f"/{order.pk}/")
    shipment.refresh_from_db()
    assert shipment.voided_at is not None
    rates = client_a.get(f"/app/couriers/orders/{order.pk}/rates").content.decode()
    assert "was voided" in rates and "Create shipment with this option" in rates

    label = api_client_a.get(f"/api/v1/shipments/{shipment.pk}/label")
    assert label.status_code == 409 and label.json()["code"] == "voided"
    again = api_client_a.post(f"/api/v1/shipments/{shipment.pk}/void")
    assert again.status_code == 200 and again.json()["refund_state"] == "requested"


@pytest.mark.django_db
def test_too_late_once_the_courier_has_the_parcel(merchant_a, client_a, api_client_a):
    shipment = make_shipment(
        merchant_a.merchant, status="in_transit", handed_over_at=None, price_minor=700
    )
    with pytest.raises(CannotVoid, match="Too late to void"):
        void_shipment(shipment=shipment, by=None)

    response = api_client_a.post(f"/api/v1/shipments/{shipment.pk}/void")
    assert response.status_code == 409
    assert response.json()["code"] == "too_late_to_void"
    page = client_a.post(f"/app/couriers/shipments/{shipment.pk}/void", follow=True)
    assert "Too late to void" in page.content.decode()
    assert "Void label" not in page.content.decode()
    shipment.refresh_from_db()
    assert shipment.voided_at is None and shipment.cancelled_at is None


@pytest.mark.django_db
def test_the_courier_refusing_or_down_voids_nothing(merchant_a, fast_sandbox, sandbox):
    merchant = merchant_a.merchant
    account = sandbox_account(merchant, fast_sandbox.url)
    order = make_order(merchant)
    with CourierHttp(account_id="test-direct") as http:
        adapter = get_adapter(
            "sandbox", credentials={"api_key": SANDBOX_KEY}, base_url=fast_sandbox.url, http=http
        )
        created = adapter.create_shipment(quote_request(rate_input_for_order(order), "next-day"))
        number = created.tracking_number
        wait_for(
            lambda: any(e.status != "info_received" for e in adapter.track([number])[number].events)
        )
    # Our record still says "booked" (not polled yet); the courier has picked it up already.
    shipment = make_shipment(
        merchant, order=order, tracking_number=created.tracking_number, status="info_received"
    )
    Shipment.objects.filter(pk=shipment.pk).update(account=account)
    shipment.refresh_from_db()
    with pytest.raises(CannotVoid, match="refused") as refused:
        void_shipment(shipment=shipment, by=None)
    assert refused.value.problem_code == "courier_refused"

    sandbox_account_down = make_account(
        merchant, courier="sandbox", name="Sandbox down", credentials=f"api_key={SANDBOX_KEY}",
        base_url=sandbox.url,
    )  # fmt: skip
    order2 = make_order(merchant)
    second = make_shipment(merchant, order=order2, tracking_number="SBX0000000001")
    Shipment.objects.filter(pk=second.pk).update(account=sandbox_account_down)
    second.refresh_from_db()
    sandbox.faults(http_5xx={"count": 20, "status": 503})
    try:
        with pytest.raises(CannotVoid, match="could not be reached") as unreachable:
            void_shipment(shipment=second, by=None)
    finally:
        sandbox.reset()
    assert unreachable.value.problem_code == "courier_unavailable"
    for row in (shipment, second):
        row.refresh_from_db()
        assert row.voided_at is None and row.cancelled_at is None and row.refund_state == ""


@pytest.mark.sqlite  # make run's database: the row lock is a no-op there, the void still holds
@pytest.mark.django_db
def test_a_courier_without_a_cancel_api_is_marked_void_and_staff_call_them(merchant_a):
    merchant = merchant_a.merchant
    shipment = make_shipment(merchant)  # the manual courier: our own drivers, nothing charged
    voided = void_shipment(shipment=shipment, by=None)
    assert voided.refund_state == RefundState.NOT_CHARGED and voided.refund_minor == 0

    dhl = make_account(merchant, courier="dhl", credentials="api_key=k")
    other = make_shipment(merchant, status="info_received")
    Shipment.objects.filter(pk=other.pk).update(account=dhl, service=make_service(dhl))
    other.refresh_from_db()
    voided = void_shipment(shipment=other, by=None)
    assert voided.refund_state == RefundState.CALL_COURIER and voided.refund_minor is None
    assert "call them" in voided.last_error


@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_cancel_at_the_courier_once(merchant_a, sandbox):
    merchant = merchant_a.merchant
    sandbox_account(merchant, sandbox.url)
    order = make_order(merchant)
    shipment = booked(merchant, order)
    sandbox.reset()
    barrier = threading.Barrier(2)
    results: list[object] = []

    def click() -> None:
        try:
            barrier.wait()
            results.append(void_shipment(shipment=shipment, by=None).voided_at)
        except Exception as error:  # pragma: no cover - the assertion below shows it
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 2 and results[0] == results[1] and results[0] is not None
    deletes = sum(v for k, v in sandbox.stats().items() if k.startswith("DELETE"))
    assert deletes == 1
    assert OrderEvent.objects.filter(order=order, note__contains="voided").count() == 1


@pytest.mark.django_db
def test_the_void_endpoint_refuses_hostile_ids_and_answers_404_for_another_merchant(
    merchant_a, merchant_b, api_client_a
):
    theirs = make_shipment(merchant_b.merchant)
    for bad in (str(2**63), "1%00", "abc", "-1"):
        response = api_client_a.post(f"/api/v1/shipments/{bad}/void")
        assert 400 <= response.status_code < 500, bad
    too_big = api_client_a.post(f"/api/v1/shipments/{2**63}/void")
    assert too_big.status_code == 422 and "shipment_id" in too_big.content.decode()
    foreign = api_client_a.post(
        f"/api/v1/shipments/{theirs.pk}/void", data=b"\x00{]", content_type="application/json"
    )
    assert foreign.status_code == 404
    theirs.refresh_from_db()
    assert theirs.voided_at is None
