"""The courier sandbox as an on-demand courier speaking Stuart's API: the Stuart adapter quotes,
books, tracks and cancels there over real HTTP; the courier rides from the pick-up to the
drop-off on the accelerated clock and posts Stuart-shaped, header-authenticated webhooks (job
status changes, its position, "arriving") in order, losing nothing while the receiver is down."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from devtools.courier_sandbox.ondemand import distance_m, geocode, plan_journey
from fulfillment.couriers.adapters import get_adapter
from fulfillment.couriers.adapters.errors import CourierRejected, TrackingNotFound
from fulfillment.couriers.adapters.stuart import parse_webhook_body
from fulfillment.couriers.adapters.types import Parcel, ShipmentRequest, TrackingStatus
from merchant.services.geocoding import geocode as product_geocode
from tests.support.couriers import SANDBOX_KEY, SandboxProcess, start_sandbox
from tests.support.helpers import wait_for

S = TrackingStatus
SHOP = {"name": "Corner Shop", "street": "233 S Wacker Dr", "city": "Chicago",
        "postal_code": "60606", "country": "US", "phone": "+13125550199"}  # fmt: skip
SHOPPER = {"name": "Ada Shopper", "street": "2001 N Clark St", "city": "Chicago",
           "postal_code": "60614", "country": "US", "phone": "+13125550100"}  # fmt: skip
AUTH_HEADER, AUTH_VALUE = "X-Stuart-Auth", "stuart-hook-7d1e"


class Receiver:
    """A webhook receiver on 127.0.0.1 that records what it is sent and answers `status`."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.headers: list[dict[str, str]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.status == 200:
                    receiver.bodies.append(json.loads(raw))
                    receiver.headers.append(dict(self.headers))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of_job(self, job_id: str) -> list[dict]:
        return [b for b in self.bodies if str(_job_id(b)) == job_id]


def _job_id(body: dict) -> object:
    data = body["data"]
    if body["event"] == "delivery":  # names no job: the sandbox's delivery id is job id + 1
        return data["id"] - 1
    return data["id"] if body["event"] == "job" else data["job"]["id"]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture(scope="module")
def ondemand(receiver) -> Iterator[SandboxProcess]:
    """A courier whose ride of a few kilometres takes a few real seconds."""
    server = start_sandbox(
        "--ondemand-speed", "400", "--ondemand-position-every", "10",
        "--ondemand-webhook-url", receiver.url, "--ondemand-webhook-header", AUTH_HEADER,
        "--ondemand-webhook-value", AUTH_VALUE,
    )  # fmt: skip
    yield server
    server.stop()


def stuart(url: str, sandbox_http, client_id: str = "shop-1", secret: str = SANDBOX_KEY):
    return get_adapter(
        "stuart",
        credentials={"client_id": client_id, "client_secret": secret,
                     "webhook_auth_header": AUTH_HEADER, "webhook_auth_value": AUTH_VALUE},
        base_url=url,
        http=sandbox_http(),
    )  # fmt: skip


def job_request(key: str, service: str = "bike") -> ShipmentRequest:
    return ShipmentRequest(
        sender=SHOP,
        recipient=SHOPPER,
        parcels=(Parcel(1200, 300, 200, 100),),
        service_code=service,
        reference=f"Order {key}",
        idempotency_key=key,
    )


def test_the_adapter_quotes_books_finds_a_retried_booking_tracks_and_cancels(
    ondemand, sandbox_http
):
    adapter = stuart(ondemand.url, sandbox_http)
    (quote,) = adapter.quote(job_request("q-1"))
    assert quote.currency == "EUR" and quote.price_minor > 650
    assert quote.estimated_delivery is not None
    created = adapter.create_shipment(job_request("order-1"))
    assert created.tracking_number.isdigit()
    assert created.courier_reference == created.tracking_number
    # The same booking again (a retried task): Stuart refuses the reused client_reference,
    # and the adapter finds the first job instead of booking a second courier.
    again = adapter.create_shipment(job_request("order-1"))
    assert again.tracking_number == created.tracking_number
    result = adapter.track([created.tracking_number])[created.tracking_number]
    assert result.status in (S.INFO_RECEIVED, S.OUT_FOR_DELIVERY, S.DELIVERED)
    slow = stuart(ondemand.url, sandbox_http, client_id="shop-cancel")
    # Another API client never sees this client's job.
    assert isinstance(slow.track([created.tracking_number])[created.tracking_number],
                      TrackingNotFound)  # fmt: skip
    doomed = slow.create_shipment(job_request("order-2", service="walk"))
    slow.cancel(doomed.tracking_number)
    cancelled = slow.track([doomed.tracking_number])[doomed.tracking_number]
    assert cancelled.status is S.EXCEPTION and cancelled.events[-1].courier_code == "canceled"


def test_wrong_credentials_and_tokens_are_refused(ondemand, sandbox_http):
    with pytest.raises(CourierRejected, match="invalid_client"):
        stuart(ondemand.url, sandbox_http, "shop-wrong", secret="wrong").quote(job_request("q"))
    answer = httpx.get(f"{ondemand.url}/v2/jobs/1", headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401 and answer.json()["error"] == "UNAUTHORIZED"


BAD_JOBS = [
    {},
    {"job": {"pickups": [], "dropoffs": []}},
    {"job": {"pickups": [{"address": "x\x00"}], "dropoffs": [{"address": "y"}]}},
    {"job": {"transport_type": "rocket", "pickups": [{"address": "a"}],
             "dropoffs": [{"address": "b"}]}},
    {"job": {"transport_type": ["bike"], "pickups": [{"address": "a"}],
             "dropoffs": [{"address": "b"}]}},
    {"job": {"pickups": [{"address": ["a"]}], "dropoffs": [{"address": "b"}]}},
    {"job": {"pickups": [{"address": "a" * 5000}], "dropoffs": [{"address": "b"}]}},
]  # fmt: skip


def test_bad_job_requests_get_stuarts_error_shape(ondemand):
    token = httpx.post(f"{ondemand.url}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": "shop-x", "client_secret": SANDBOX_KEY,
        "scope": "api"}).json()["access_token"]  # fmt: skip
    auth = {"Authorization": f"Bearer {token}"}
    for body in BAD_JOBS:
        answer = httpx.post(f"{ondemand.url}/v2/jobs", json=body, headers=auth)
        assert answer.status_code == 422 and answer.json()["error"] == "RECORD_INVALID"
    garbage = httpx.post(f"{ondemand.url}/v2/jobs", content=b"{", headers=auth)
    assert garbage.status_code == 400
    assert httpx.get(f"{ondemand.url}/v2/jobs/99", headers=auth).json()["error"] == (
        "RECORD_NOT_FOUND"
    )


def test_the_courier_rides_to_the_door_and_its_webhooks_tell_it_in_order(
    ondemand, receiver, sandbox_http
):
    adapter = stuart(ondemand.url, sandbox_http, client_id="shop-ride")
    job = adapter.create_shipment(job_request("order-ride")).tracking_number

    def finished() -> bool:
        return any(b["event"] == "job" and b["data"]["status"] == "finished"
                   for b in receiver.of_job(job))  # fmt: skip

    wait_for(finished, timeout=30, what="the job's finished webhook")
    bodies = receiver.of_job(job)
    headers = [h for h, b in zip(receiver.headers, receiver.bodies, strict=True)
               if str(_job_id(b)) == job]  # fmt: skip
    assert all(h.get(AUTH_HEADER) == AUTH_VALUE for h in headers)
    statuses = [b["data"]["currentDelivery"]["status"] for b in bodies if b["event"] == "job"]
    told = [b["data"]["status"] for b in bodies if b["event"] == "delivery"]
    assert told == statuses  # each change also as a delivery event, as Stuart sends both
    assert statuses == [
        "pending", "pending", "picking", "almost_picking", "waiting_at_pickup",
        "delivering", "almost_delivering", "waiting_at_dropoff", "delivered",
    ]  # fmt: skip
    # Every body is one the Stuart adapter reads; positions move toward the shopper's ZIP
    # centroid (where the product geocodes the order) while the parcel is on its way.
    now = datetime.now(UTC)
    updates = [parse_webhook_body(b, received_at=now) for b in bodies]
    positions = [p for u in updates for p in u.positions]
    assert len(positions) >= 5 and all(p.reference == job for p in positions)
    door = (product_geocode(postal_code="60614", country="US").latitude,
            product_geocode(postal_code="60614", country="US").longitude)  # fmt: skip
    riding = [b for b in bodies if b["event"] == "driver"
              and b["data"]["job"]["currentDelivery"]["status"] == "delivering"]  # fmt: skip
    gaps = [distance_m((b["data"]["latitude"], b["data"]["longitude"]), door) for b in riding]
    assert len(gaps) >= 2 and gaps == sorted(gaps, reverse=True)
    arriving = [p for p in positions if p.arriving]
    assert arriving and distance_m((arriving[-1].latitude, arriving[-1].longitude), door) < 600
    assert all(p.courier_name and p.vehicle == "bike" and p.eta_at for p in positions)
    result = adapter.track([job])[job]
    assert result.status is S.DELIVERED


def test_a_receiver_that_is_down_loses_no_status_and_gets_the_newest_position(
    ondemand, receiver, sandbox_http
):
    adapter = stuart(ondemand.url, sandbox_http, client_id="shop-down")
    receiver.status = 503
    try:
        job = adapter.create_shipment(job_request("order-down")).tracking_number
        wait_for(lambda: httpx.get(f"{ondemand.url}/_ondemand",
                                   headers={"DHL-API-Key": SANDBOX_KEY}).json()["failed"] >= 2,
                 timeout=20, what="failed deliveries")  # fmt: skip
    finally:
        receiver.status = 200

    def finished() -> bool:
        return any(b["event"] == "job" and b["data"]["status"] == "finished"
                   for b in receiver.of_job(job))  # fmt: skip

    wait_for(finished, timeout=40, what="the job's webhooks after the receiver came back")
    statuses = [b["data"]["currentDelivery"]["status"]
                for b in receiver.of_job(job) if b["event"] == "job"]  # fmt: skip
    assert statuses[0] == "pending" and statuses[-1] == "delivered" and len(statuses) == 9


def test_journeys_are_deterministic_and_addresses_geocode_like_the_product():
    shop, door = geocode("233 S Wacker Dr, 60606 Chicago, US"), geocode("2001 N Clark St, 60614")
    product = product_geocode(postal_code="60614", country="US")
    assert door == pytest.approx((product.latitude, product.longitude))
    one = plan_journey(7, shop, door, "bike", seed=3)
    assert one == plan_journey(7, shop, door, "bike", seed=3)
    assert one.position_at(one.assigned_s - 1) is None
    assert one.position_at(one.picked_s - 1) == shop
    assert one.position_at(one.at_dropoff_s) == door
    assert one.position_at(one.delivered_s) is None
    assert [s.offset_s for s in one.stages] == sorted(s.offset_s for s in one.stages)
    # An address without a known ZIP code still gets a stable point.
    assert geocode("Somewhere without a postcode") == geocode("somewhere without a postcode")
