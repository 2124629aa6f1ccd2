"""The courier sandbox as a courier: journeys, change feed, webhooks, restarts, cancels."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from devtools.courier_sandbox.timeline import Shares, plan_journey
from fulfillment.couriers.adapters import get_adapter
from fulfillment.couriers.adapters.dhl import map_status
from fulfillment.couriers.adapters.errors import CourierRejected, TrackingNotFound, WebhookRejected
from fulfillment.couriers.adapters.types import Parcel, ShipmentRequest, TrackingStatus
from tests.support.couriers import ADDRESS_FROM, ADDRESS_TO, SANDBOX_KEY, start_sandbox

S = TrackingStatus


def request(key: str) -> ShipmentRequest:
    return ShipmentRequest(
        sender=ADDRESS_FROM,
        recipient=ADDRESS_TO,
        parcels=(Parcel(1200, 300, 200, 100),),
        service_code="next-day",
        reference=key,
        idempotency_key=key,
    )


def sandbox_adapter(url, sandbox_http, **credentials):
    return get_adapter(
        "sandbox",
        credentials={"api_key": SANDBOX_KEY, **credentials},
        base_url=url,
        http=sandbox_http(),
    )


def test_a_parcel_reaches_delivered_on_the_accelerated_clock(fresh_sandbox, sandbox_http):
    adapter = sandbox_adapter(fresh_sandbox.url, sandbox_http)
    created = adapter.create_shipment(request("journey-1"))
    assert created.tracking_number.startswith("SBX")
    first = adapter.track([created.tracking_number])[created.tracking_number]
    assert first.status is S.INFO_RECEIVED
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        result = adapter.track([created.tracking_number])[created.tracking_number]
        if result.status is S.DELIVERED:
            break
        time.sleep(0.2)
    assert [e.status for e in result.events] == [
        S.INFO_RECEIVED, S.IN_TRANSIT, S.IN_TRANSIT, S.IN_TRANSIT, S.IN_TRANSIT,
        S.OUT_FOR_DELIVERY, S.DELIVERED,
    ]  # fmt: skip
    assert result.estimated_delivery is not None
    assert result.events[-1].location == "Evanston, 60201, US"


def test_a_batch_answers_each_number_and_unknown_ones_are_not_found(fresh_sandbox, sandbox_http):
    adapter = sandbox_adapter(fresh_sandbox.url, sandbox_http)
    numbers = [adapter.create_shipment(request(f"batch-{i}")).tracking_number for i in range(3)]
    results = adapter.track([*numbers, "SBX0000000000"])
    assert fresh_sandbox.stats()["GET /track"] == 1  # one request for the whole batch
    assert all(results[n].tracking_number == n for n in numbers)
    assert isinstance(results["SBX0000000000"], TrackingNotFound)


def test_the_change_feed_returns_each_change_once_per_cursor(fresh_sandbox, sandbox_http):
    adapter = sandbox_adapter(fresh_sandbox.url, sandbox_http)
    start = adapter.fetch_changes(None)
    while start.events:  # skip what earlier tests left behind
        start = adapter.fetch_changes(start.cursor)
    number = adapter.create_shipment(request("feed-1")).tracking_number
    cursor, seen = start.cursor, []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and S.DELIVERED not in [e.status for e in seen]:
        batch = adapter.fetch_changes(cursor)
        seen.extend(e for e in batch.events if e.tracking_number == number)
        cursor = batch.cursor
        time.sleep(0.1)
    assert len(seen) == 7
    assert len({e.event_id for e in seen}) == 7
    assert adapter.fetch_changes(cursor).events == ()
    again = adapter.fetch_changes(start.cursor)  # the same cursor gives the same changes
    assert [e.event_id for e in again.events if e.tracking_number == number][:3] == [
        e.event_id for e in seen[:3]
    ]


def test_cancel_works_before_pick_up_and_is_refused_after(fresh_sandbox, sandbox_http):
    adapter = sandbox_adapter(fresh_sandbox.url, sandbox_http)
    early = adapter.create_shipment(request("cancel-1")).tracking_number
    adapter.cancel(early)
    assert isinstance(adapter.track([early])[early], TrackingNotFound)
    late = adapter.create_shipment(request("cancel-2")).tracking_number
    time.sleep(0.5)
    with pytest.raises(CourierRejected, match="already been picked up") as refused:
        adapter.cancel(late)
    assert refused.value.status_code == 409


def test_sandbox_quotes_each_service_in_minor_units(fresh_sandbox, sandbox_http):
    quotes = sandbox_adapter(fresh_sandbox.url, sandbox_http).quote(request("quote-1"))
    assert {q.service_code for q in quotes} == {"same-day", "next-day", "economy"}
    assert all(isinstance(q.price_minor, int) and q.price_minor > 0 for q in quotes)


def test_a_bad_shipment_is_refused_naming_the_field(fresh_sandbox, sandbox_http):
    bad = ShipmentRequest(
        ADDRESS_FROM, {"city": "Evanston"}, (Parcel(1, 1, 1, 1),), "next-day", "r", "k"
    )
    with pytest.raises(CourierRejected, match=r"recipient\.postal_code is required"):
        sandbox_adapter(fresh_sandbox.url, sandbox_http).create_shipment(bad)


def test_unknown_fault_settings_are_refused(fresh_sandbox):
    response = fresh_sandbox.admin.post("/_faults", json={"http_5xx": {"cuont": 1}})
    assert response.status_code == 400
    assert "http_5xx.cuont" in response.json()["detail"]


def test_shipments_survive_a_restart_with_a_state_file(tmp_path, sandbox_http):
    state = tmp_path / "sandbox.json"
    args = ("--state-file", str(state), "--speed", "1")
    first = start_sandbox(*args)
    try:
        number = (
            sandbox_adapter(first.url, sandbox_http)
            .create_shipment(request("keep"))
            .tracking_number
        )
    finally:
        first.stop()
    second = start_sandbox(*args)
    try:
        result = sandbox_adapter(second.url, sandbox_http).track([number])[number]
        assert result.status is S.INFO_RECEIVED
    finally:
        second.stop()


def test_journeys_are_deterministic_and_follow_the_configured_shares():
    shares = Shares(failed_attempt=0.0, exception=0.0, returned=1.0)
    outcome, steps = plan_journey("SBX42", seed=7, shares=shares)
    assert (outcome, steps) == plan_journey("SBX42", seed=7, shares=shares)
    statuses = [map_status(s.status_code, s.status) for s in steps]
    assert statuses[-4:] == [S.FAILED_ATTEMPT, S.AVAILABLE_FOR_PICKUP, S.EXPIRED, S.RETURNED]
    outcomes = [
        plan_journey(f"SBX{i}", seed=1, shares=Shares(0.3, 0.2, 0.1))[0] for i in range(2000)
    ]
    assert 0.25 < outcomes.count("failed_attempt") / 2000 < 0.35
    assert 0.15 < outcomes.count("exception") / 2000 < 0.25


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[bytes, dict[str, str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((body, dict(self.headers)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def webhook_receiver():
    Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks", Receiver.received
    server.shutdown()
    server.server_close()


def test_webhooks_are_signed_and_verify_with_the_secret(webhook_receiver, sandbox_http):
    url, received = webhook_receiver
    secret = "whsec-test-5d1e"
    server = start_sandbox(
        "--speed", "100000", "--webhook-url", url, "--webhook-secret", secret,
        "--failed-share", "0", "--exception-share", "0", "--return-share", "0",
        "--duplicate-events",
    )  # fmt: skip
    try:
        adapter = sandbox_adapter(server.url, sandbox_http, webhook_secret=secret)
        number = adapter.create_shipment(request("hook-1")).tracking_number
        deadline = time.monotonic() + 6
        events = []
        while time.monotonic() < deadline and len({e.event_id for e in events}) < 7:
            time.sleep(0.2)
            events = [
                e for body, headers in list(received) for e in adapter.parse_webhook(body, headers)
            ]
    finally:
        server.stop()
    mine = [e for e in events if e.tracking_number == number]
    assert len({e.event_id for e in mine}) == 7
    assert len(mine) == 14  # the duplicate fault pushes each webhook twice
    body, headers = received[0]
    tampered = json.dumps({"shipments": []}).encode()
    with pytest.raises(WebhookRejected, match="signature"):
        adapter.parse_webhook(tampered, headers)
    other = sandbox_adapter(server.url, sandbox_http, webhook_secret="another-secret")
    with pytest.raises(WebhookRejected):
        other.parse_webhook(body, headers)
    with pytest.raises(WebhookRejected, match="too old"):
        adapter.parse_webhook(body, {**headers, "X-Sandbox-Timestamp": "1000"})


def test_wrong_key_answers_a_401_problem(fresh_sandbox):
    response = httpx.get(
        f"{fresh_sandbox.url}/track/shipments", params={"trackingNumber": "SBX1"},
        headers={"DHL-API-Key": "nope"},
    )  # fmt: skip
    assert response.status_code == 401
    assert response.json()["title"] == "Unauthorized"
