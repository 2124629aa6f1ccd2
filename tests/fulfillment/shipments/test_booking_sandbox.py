"""Shipments booked through the Celery task against the real sandbox server; a retried task
books one shipment only; a courier that is down degrades the rates, never a 500."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from config.celery import app
from fulfillment.couriers.adapters import get_adapter
from fulfillment.couriers.adapters.http import CourierHttp
from fulfillment.couriers.selectors import rate_input_for_order
from fulfillment.couriers.services.rates import quote_request
from fulfillment.models import CourierAccount, Shipment, ShipmentEvent
from fulfillment.orders.services.addresses import AddressNeedsAttention
from fulfillment.shipments.services.booking import rates_for_order, request_shipment
from fulfillment.shipments.tasks import book_shipment_task
from tests.factories.couriers import make_account, make_service
from tests.factories.orders import make_order
from tests.support.couriers import SANDBOX_KEY, start_sandbox
from tests.support.helpers import wait_for, worker_name

NOON_UTC = dt.datetime(2025, 6, 3, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def sandbox():
    server = start_sandbox("--speed", "1")
    yield server
    server.stop()


def worker_runs(task_name: str) -> int:
    """How many `task_name` tasks this run's worker has started (its own stats)."""
    inspect = app.control.inspect(destination=[worker_name()], timeout=1)
    return sum(s.get("total", {}).get(task_name, 0) for s in (inspect.stats() or {}).values())


def worker_idle() -> bool:
    inspect = app.control.inspect(destination=[worker_name()], timeout=1)
    busy = [t for tasks in (inspect.active() or {}).values() for t in tasks]
    return not busy


def sandbox_account(merchant, url: str) -> CourierAccount:
    account = make_account(
        merchant, courier="sandbox", name="Sandbox", credentials=f"api_key={SANDBOX_KEY}",
        base_url=url, requests_per_second=50.0,
    )  # fmt: skip
    for level, code, base in (("next_day", "next-day", 700), ("economy", "economy", 300)):
        make_service(account, level=level, code=code, name=code, base_minor=base)
    return account


@pytest.mark.django_db(transaction=True)
def test_the_task_books_once_even_when_an_earlier_attempt_reached_the_courier(
    merchant_a, sandbox, celery_worker
):
    merchant = merchant_a.merchant
    account = sandbox_account(merchant, sandbox.url)
    order = make_order(merchant)
    sandbox.reset()

    # An earlier run of the task reached the courier and died before saving its answer:
    # the courier already holds a shipment under the order's idempotency key.
    from fulfillment.shipments.services.booking import idempotency_key

    with CourierHttp(account_id="test-direct") as http:
        adapter = get_adapter(
            "sandbox", credentials={"api_key": SANDBOX_KEY}, base_url=sandbox.url, http=http
        )
        request = quote_request(rate_input_for_order(order), "next-day")
        first = adapter.create_shipment(
            type(request)(**{**request.__dict__, "idempotency_key": idempotency_key(order)})
        )

    shipment = request_shipment(merchant=merchant, order=order, option_id="rule")
    assert shipment.account_id == account.pk
    booked = wait_for(
        lambda: Shipment.objects.filter(pk=shipment.pk).exclude(tracking_number="").first()
    )
    assert booked.tracking_number == first.tracking_number
    assert booked.status == "info_received" and booked.booked_at is not None

    assert sandbox.stats().get("POST /shipments") == 2  # ours above, and the task's
    runs = worker_runs(book_shipment_task.name)
    book_shipment_task.delay(shipment.pk)  # a duplicate delivery of the task
    wait_for(lambda: worker_runs(book_shipment_task.name) > runs and worker_idle())
    assert sandbox.stats().get("POST /shipments") == 2  # it saw the stored number: no call
    assert Shipment.objects.filter(order=order).count() == 1
    assert ShipmentEvent.objects.filter(shipment=shipment).count() == 1
    with httpx.Client(headers={"DHL-API-Key": SANDBOX_KEY}) as client:
        tracked = client.get(
            f"{sandbox.url}/track/shipments", params={"trackingNumber": first.tracking_number}
        )
    assert tracked.status_code == 200
    assert len(tracked.json()["shipments"]) == 1


@pytest.mark.django_db
def test_live_quotes_replace_the_rate_card_and_a_down_courier_degrades(
    merchant_a, client_a, sandbox, settings
):
    settings.NEARBOX_FX_RATES = {"EUR:USD": {"rate": "1.1", "source": "test"}}  # sandbox: EUR
    merchant = merchant_a.merchant
    account = sandbox_account(merchant, sandbox.url)
    local = make_service(make_account(merchant, name="Bikes"), base_minor=900)
    order = make_order(merchant)
    sandbox.reset()

    result = rates_for_order(merchant=merchant, order=order, now=NOON_UTC)
    sources = {o.service_code: o.price_source for o in result.options}
    assert sources["next-day"].startswith("live quote, €")  # converted, the rate stated
    assert sources["next-day"].endswith(" at 1.1 USD/EUR (test)")
    assert sources[local.code] == "rate card"

    sandbox.faults(timeout={"rate": 1.0, "sleep_s": 4})
    response = client_a.get(f"/app/couriers/orders/{order.pk}/rates")
    assert response.status_code == 200
    page = response.content.decode()
    assert "rate card (live quote failed)" in page and "Bikes" in page
    account.refresh_from_db()
    assert "timed out" in account.last_error
    assert "timed out" in client_a.get("/app/couriers/").content.decode()

    sandbox.faults(timeout={"rate": 0}, malformed={"rate": 1.0})
    result = rates_for_order(merchant=merchant, order=order, now=NOON_UTC)
    assert not any(o.price_source.startswith("live quote") for o in result.options)
    assert len(result.eligible) == 3
    sandbox.reset()


@pytest.mark.django_db
def test_no_shipment_while_the_address_has_a_problem(merchant_a):
    merchant = merchant_a.merchant
    make_service(make_account(merchant))
    order = make_order(merchant)
    order.address_status = order.AddressStatus.PROBLEM
    order.save()
    with pytest.raises(AddressNeedsAttention):
        request_shipment(merchant=merchant, order=order)
    assert not Shipment.objects.filter(order=order).exists()


@pytest.mark.django_db
def test_the_api_lists_rates_and_ships_with_202(merchant_a, api_client_a):
    merchant = merchant_a.merchant
    service = make_service(make_account(merchant, name="Bikes"), base_minor=650)
    order = make_order(merchant)
    rates = api_client_a.get(f"/api/v1/couriers/rates?order_id={order.pk}")
    assert rates.status_code == 200
    body = rates.json()
    assert body["chosen_option_id"] == f"svc-{service.pk}" and body["why"]
    assert body["options"][0]["window"]["end"]

    response = api_client_a.post(
        "/api/v1/couriers/shipments",
        {"order_id": order.pk, "option_id": "svc-999999"},
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["field"] == "option_id"
    response = api_client_a.post(
        "/api/v1/couriers/shipments",
        {"order_id": order.pk, "option_id": "rule"},
        content_type="application/json",
    )
    assert response.status_code == 202
    assert Shipment.objects.get(pk=response.json()["shipment_id"]).order_id == order.pk
    again = api_client_a.post(
        "/api/v1/couriers/shipments", {"order_id": order.pk}, content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["code"] == "shipment_exists"
