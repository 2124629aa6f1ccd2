"""The courier sandbox speaking DPD (devtools/courier_sandbox/dpd.py): a DPD account whose
base URL is the sandbox tracks for real, through the karrio bridge and our HTTP layer."""

from __future__ import annotations

import httpx
import pytest

from devtools.courier_sandbox import dpd as sandbox_dpd
from fulfillment.couriers.adapters import get_adapter
from fulfillment.couriers.adapters.errors import CourierRejected, TrackingNotFound
from fulfillment.couriers.adapters.types import TrackingStatus
from tests.support.couriers import SANDBOX_KEY, start_sandbox
from tests.support.helpers import wait_for
from tests.support.tracking import book_at_sandbox

S = TrackingStatus


@pytest.fixture(scope="module")
def failing_sandbox():
    """Every parcel fails its first delivery (nobody home), then is delivered."""
    server = start_sandbox(
        "--speed", "100000", "--failed-share", "1", "--exception-share", "0", "--return-share", "0"
    )
    yield server
    server.stop()


def dpd_at(url: str, sandbox_http, password: str = SANDBOX_KEY):
    return get_adapter(
        "dpd", credentials={"delis_id": "KD0001", "password": password}, base_url=url,
        http=sandbox_http(),
    )  # fmt: skip


def delivered(adapter, numbers: list[str], *, unknown: str) -> dict:
    """Poll until every known parcel is delivered (the sandbox's clock runs its journey)."""

    def all_delivered() -> dict | None:
        results = adapter.track([*numbers, unknown])
        done = all(getattr(results[n], "status", None) is S.DELIVERED for n in numbers)
        return results if done else None

    return wait_for(all_delivered, timeout=20, every=0.3, what="DPD parcels delivered")


def test_a_dpd_account_at_the_sandbox_tracks_its_parcels_for_real(failing_sandbox, sandbox_http):
    failing_sandbox.reset()
    numbers = book_at_sandbox(failing_sandbox.url, 2)
    adapter = dpd_at(failing_sandbox.url, sandbox_http)
    results = delivered(adapter, numbers, unknown="09999999999999")

    assert isinstance(results["09999999999999"], TrackingNotFound)
    for number in numbers:
        result = results[number]
        assert result.status is S.DELIVERED, result
        codes = [e.courier_code for e in result.events]
        assert codes[0] == "Accepted" and codes[-1] == "Delivered"
        failed = [e for e in result.events if e.status is S.FAILED_ATTEMPT]
        assert failed and {e.reason_code for e in failed} == {"not_home"}
        assert result.events[-1].location == "Evanston (US)"
    stats = failing_sandbox.stats()
    # One login for the account (karrio caches DPD's token), one lifecycle call per number a poll.
    assert stats["POST /soap/services/LoginService/V2_1"] == 1
    assert stats["POST /soap/services/ParcelLifeCycleService/V2_0"] >= 3


def test_a_wrong_dpd_password_is_dpds_authentication_fault(failing_sandbox, sandbox_http):
    failing_sandbox.reset()
    (number,) = book_at_sandbox(failing_sandbox.url, 1)
    error = dpd_at(failing_sandbox.url, sandbox_http, password="wrong").track([number])[number]
    assert isinstance(error, CourierRejected)
    assert error.courier_code == "DELICOM_ERR_AUTHENTICATION" and "wrong" not in str(error)


def test_the_sandbox_refuses_a_forged_token_and_hostile_xml(failing_sandbox):
    url = failing_sandbox.url + sandbox_dpd.TRACKING_PATH
    envelope = (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header>'
        "<authentication><delisId>KD0001</delisId><authToken>{token}</authToken></authentication>"
        "</soapenv:Header><soapenv:Body><getTrackingData><parcelLabelNumber>1</parcelLabelNumber>"
        "</getTrackingData></soapenv:Body></soapenv:Envelope>"
    )
    forged = httpx.post(url, content=envelope.format(token="0" * 64), timeout=5)
    assert forged.status_code == 500 and b"DELICOM_ERR_AUTHENTICATION" in forged.content
    real = sandbox_dpd.token_for(SANDBOX_KEY, "KD0001")
    unknown = httpx.post(url, content=envelope.format(token=real), timeout=5)
    assert unknown.status_code == 200 and b"trackingresult" not in unknown.content
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    for body in (bomb, b"<unclosed", b"\xff\xfe" * 10, b"x" * (sandbox_dpd.MAX_BODY + 10)):
        answer = httpx.post(url, content=body, timeout=5)
        assert answer.status_code == 400 and b"soap:Fault" in answer.content
    assert (
        httpx.post(
            failing_sandbox.url + "/soap/services/Nope", content=b"<x/>", timeout=5
        ).status_code
        == 404
    )


def test_dpd_dates_are_dpds_twelve_hour_format():
    assert sandbox_dpd.dpd_date(0) == "1/1/1970 12:00:00 AM"
    assert sandbox_dpd.dpd_date(13 * 3600 + 5) == "1/1/1970 1:00:05 PM"


@pytest.mark.django_db
def test_polling_a_dpd_account_stores_dpds_events_once_with_the_reason(
    merchant_a, failing_sandbox, sandbox_http
):
    """The tracking pipeline as the worker runs it (poll_batch), for an account made as the
    account form makes it: DPD's scans stored once, the shipment delivered, the reason kept."""
    from fulfillment.models import ShipmentEvent
    from fulfillment.tracking.polling import poll_batch
    from tests.factories.couriers import make_account, make_service
    from tests.support.tracking import add_shipment

    failing_sandbox.reset()
    account = make_account(
        merchant_a.merchant, courier="dpd", name="DPD at the sandbox",
        credentials=f"delis_id=KD0001\npassword={SANDBOX_KEY}",
        base_url=failing_sandbox.url, requests_per_second=50,
    )  # fmt: skip
    service = make_service(account, level="next_day", code="dpd_cl", name="DPD Classic")
    numbers = book_at_sandbox(failing_sandbox.url, 2)
    # The journeys end on the sandbox's clock: wait for it, so one poll sees them whole.
    delivered(dpd_at(failing_sandbox.url, sandbox_http), numbers, unknown="09999999999999")
    shipments = [add_shipment(account, service, number=n) for n in numbers]
    ids = [s.pk for s in shipments]

    poll_batch(account_id=account.pk, shipment_ids=ids)
    stored = ShipmentEvent.objects.filter(shipment_id__in=ids).count()
    poll_batch(account_id=account.pk, shipment_ids=ids)  # the same scans again: stored once

    assert ShipmentEvent.objects.filter(shipment_id__in=ids).count() == stored > 0
    for shipment in shipments:
        shipment.refresh_from_db()
        assert shipment.status == "delivered"
        reasons = set(
            ShipmentEvent.objects.filter(shipment=shipment, status="failed_attempt")
            .values_list("reason_code", flat=True)
        )  # fmt: skip
        assert reasons == {"not_home"}


def test_a_dpd_shipment_booked_at_the_sandbox_comes_with_a_pdf_label_and_tracks(
    failing_sandbox, sandbox_http
):
    from fulfillment.couriers.adapters.types import Parcel, ShipmentRequest

    failing_sandbox.reset()
    adapter = dpd_at(failing_sandbox.url, sandbox_http)
    created = adapter.create_shipment(
        ShipmentRequest(
            sender={"name": "Shop", "street": "Egide Walschaertsstraat 20", "city": "Mechelen",
                    "postal_code": "2800", "country": "BE"},
            recipient={"name": "Ana", "street": "Teststraat 5", "city": "Gent",
                       "postal_code": "9000", "country": "BE"},
            parcels=(Parcel(2500, 300, 200, 100),),
            service_code="dpd_cl",
            reference="NB-2001",
            idempotency_key="NB-2001",
        )
    )  # fmt: skip
    assert created.tracking_number.startswith("SBX")
    assert created.label_format == "pdf" and created.label.startswith(b"%PDF-1.4")
    assert created.tracking_number.encode() in created.label
    stats = failing_sandbox.stats()
    assert stats["POST /soap/services/ShipmentService/V3_3"] == 1
    result = delivered(adapter, [created.tracking_number], unknown="09999999999999")
    assert result[created.tracking_number].status is S.DELIVERED
    assert result[created.tracking_number].events[-1].location == "Gent (BE)"


def test_the_sandbox_refuses_a_dpd_order_without_an_address_or_a_weight(failing_sandbox):
    token = sandbox_dpd.token_for(SANDBOX_KEY, "KD0001")
    order = (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header>'
        f"<authentication><delisId>KD0001</delisId><authToken>{token}</authToken></authentication>"
        "</soapenv:Header><soapenv:Body><storeOrders><order><generalShipmentData><product>CL"
        "</product><sender><city>Mechelen</city><zipCode>2800</zipCode><country>BE</country>"
        "</sender><recipient>{recipient}</recipient></generalShipmentData>"
        "<parcels><weight>{weight}</weight></parcels></order></storeOrders></soapenv:Body>"
        "</soapenv:Envelope>"
    )
    url = failing_sandbox.url + sandbox_dpd.SHIPMENT_PATH
    no_city = order.format(recipient="<zipCode>9000</zipCode><country>BE</country>", weight="250")
    answer = httpx.post(url, content=no_city, timeout=5)
    assert answer.status_code == 500 and b"recipient.city is required" in answer.content
    full = "<city>Gent</city><zipCode>9000</zipCode><country>BE</country>"
    answer = httpx.post(url, content=order.format(recipient=full, weight="0"), timeout=5)
    assert answer.status_code == 500 and b"weight" in answer.content
    answer = httpx.post(url, content=order.format(recipient=full, weight="250"), timeout=5)
    assert answer.status_code == 200 and b"<parcelLabelNumber>SBX" in answer.content
