"""parse_document: a saved courier document, parsed by the adapter's own parser as track() or
parse_webhook() would, and the UPS Track Alert parts of the UPS adapter."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest

from fulfillment.couriers.adapters import get_adapter
from fulfillment.couriers.adapters.errors import (
    CourierRejected,
    MalformedResponse,
    TrackingNotFound,
    WebhookRejected,
)
from fulfillment.couriers.adapters.types import TrackingResult, TrackingStatus
from fulfillment.couriers.adapters.ups import ALERT_BATCH
from tests.support.couriers import payload, payload_bytes, replay_http

S = TrackingStatus
UTC = dt.UTC


def parse(code: str, body: bytes) -> dict:
    return get_adapter(code, credentials={}).parse_document(body)


def test_a_dhl_answer_gives_one_result_per_shipment_keyed_by_its_id():
    answer = payload("dhl_universal_tracking_response.json")
    second = json.loads(json.dumps(answer["shipments"][0]))
    second["id"] = "JJD0099"
    second["events"][0]["statusCode"] = "delivered"
    answer["shipments"].append(second)
    results = parse("dhl", json.dumps(answer).encode())
    assert set(results) == {"7777777770", "JJD0099"}
    assert results["7777777770"].status is S.INFO_RECEIVED  # statusCode beats the "DELIVERED" text
    assert results["JJD0099"].status is S.DELIVERED


def test_the_sandbox_reads_its_own_webhook_body():
    scan = {"timestamp": "2025-06-02T10:00:00Z", "statusCode": "transit",
            "status": "OUT FOR DELIVERY", "description": "With the courier."}  # fmt: skip
    body = json.dumps({"shipments": [{"id": "SBX1", "events": [scan]}]}).encode()
    [(number, result)] = parse("sandbox", body).items()
    assert number == "SBX1" and result.status is S.OUT_FOR_DELIVERY
    assert result.events[0].event_id.startswith("sandbox:")


@pytest.mark.parametrize(
    "code, sample, error, status_code",
    [
        ("dhl", "dhl_universal_tracking_error_404.json", TrackingNotFound, 404),
        ("sandbox", "dhl_universal_tracking_error_404.json", TrackingNotFound, 404),
        ("ups", "ups_track_warning_not_found.json", TrackingNotFound, None),
        ("ups", "ups_track_error_invalid_inquiry.json", CourierRejected, None),
        ("ups", "ups_track_alert_subscription_error_400.json", CourierRejected, None),
        ("royalmail", "royalmail_tracking_error_400.json", CourierRejected, 400),
    ],
)
def test_an_error_document_raises_the_error_it_means(code, sample, error, status_code):
    with pytest.raises(error) as raised:
        parse(code, payload_bytes(sample))
    assert raised.value.courier == code
    assert raised.value.status_code == status_code


def test_a_dhl_problem_with_401_is_a_rejection_not_a_missing_parcel():
    body = b'{"title": "Unauthorized", "detail": "Invalid API key", "status": 401}'
    with pytest.raises(CourierRejected) as raised:
        parse("dhl", body)
    assert not isinstance(raised.value, TrackingNotFound)
    assert "Invalid API key" in str(raised.value)


def test_error_codes_are_kept_for_support():
    with pytest.raises(CourierRejected) as raised:
        parse("royalmail", payload_bytes("royalmail_tracking_error_400.json"))
    assert raised.value.courier_code == "E0004"


@pytest.mark.parametrize("code", ["dhl", "ups", "royalmail", "sandbox"])
@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b"null", b'"text"', b"{}", b"\xff\xfe", b"[" * 50_000,
     b'{"shipments": [{"events": []}]}', b'{"trackResponse": {"shipment": "x"}}',
     b'{"mailPieces": {"mailPieceId": "A1", "events": [{"eventDateTime": 5}]}}'],
)  # fmt: skip
def test_junk_is_refused_with_a_courier_error(code, body):
    with pytest.raises(MalformedResponse):
        parse(code, body)


def test_a_track_alert_event_becomes_one_event_at_its_gmt_time():
    [(number, result)] = parse("ups", payload_bytes("ups_track_alert_event_manifest.json")).items()
    assert number == "1ZABCXYZ0112346789"  # the documented sample pads it with a space
    [event] = result.events
    assert event.status is S.INFO_RECEIVED
    assert event.occurred_at == dt.datetime(2024, 4, 22, 4, 12, 30, tzinfo=UTC)
    assert event.location == "US"


def test_a_pushed_scan_and_the_same_scan_polled_are_one_event():
    pushed = payload("ups_track_alert_event_delivered.json")
    details = {
        "trackResponse": {
            "shipment": [
                {
                    "inquiryNumber": pushed["trackingNumber"],
                    "package": [
                        {
                            "activity": [
                                {
                                    "date": "20240423",
                                    "time": "095004",
                                    "gmtDate": "20240423",
                                    "gmtTime": "13:50:04",
                                    "location": {
                                        "address": {
                                            "city": "CHARLOTTE",
                                            "stateProvince": "NC",
                                            "postalCode": "28209",
                                            "countryCode": "US",
                                        }
                                    },
                                    "status": {
                                        "type": "D",
                                        "code": "FS",
                                        "description": "Delivered",
                                    },
                                }
                            ]
                        }
                    ],
                }
            ]
        }
    }
    [polled] = parse("ups", json.dumps(details).encode())[pushed["trackingNumber"]].events
    [from_push] = parse("ups", json.dumps(pushed).encode())[pushed["trackingNumber"]].events
    assert polled.event_id == from_push.event_id
    assert from_push.status is S.DELIVERED


def ups(**credentials: str):
    return get_adapter("ups", credentials={"client_id": "i", "client_secret": "s", **credentials})


def test_track_alert_webhooks_need_the_credential_we_subscribed_with():
    body = payload_bytes("ups_track_alert_event_out_for_delivery.json")
    [event] = ups(webhook_secret="cred-1").parse_webhook(body, {"Credential": "cred-1"})
    assert event.status is S.OUT_FOR_DELIVERY
    for headers in ({}, {"credential": "cred-2"}, {"credential": ""}):
        with pytest.raises(WebhookRejected):
            ups(webhook_secret="cred-1").parse_webhook(body, headers)
    with pytest.raises(WebhookRejected):  # no credential set: nothing can be verified
        ups().parse_webhook(body, {"credential": ""})


def test_a_verified_webhook_that_is_not_an_event_is_malformed():
    with pytest.raises(MalformedResponse):
        ups(webhook_secret="c").parse_webhook(b'{"hello": 1}', {"credential": "c"})


def test_subscriptions_go_in_requests_of_at_most_100_numbers_and_skip_non_1z_numbers():
    seen: list[httpx.Request] = []
    numbers = [f"1Z{n:016d}" for n in range(ALERT_BATCH + 20)]
    routes = {
        r"/oauth/token$": (200, b'{"access_token": "t", "expires_in": "14399"}'),
        r"/subscription/standard/package$": (200, b'{"validTrackingNumbers": []}'),
    }
    adapter = get_adapter("ups", credentials={"client_id": "i", "client_secret": "s",
                          "webhook_secret": "c"}, http=replay_http(routes, seen))  # fmt: skip
    now = dt.datetime(2026, 1, 1, tzinfo=UTC)
    subscription = adapter.subscribe_push([*numbers, "H123"], url="https://x/w", now=now)
    bodies = [json.loads(r.content) for r in seen if r.url.path.endswith("/package")]
    assert [len(b["trackingNumberList"]) for b in bodies] == [ALERT_BATCH, 20]
    assert subscription.subscribed == ()  # UPS listed none as valid
    assert "H123" in subscription.refused and len(subscription.refused) == len(numbers) + 1
    assert subscription.until == now + dt.timedelta(days=14)


def test_results_are_normalised_types():
    results = parse("royalmail", payload_bytes("royalmail_mailpieces_v2_events_response.json"))
    assert all(isinstance(r, TrackingResult) for r in results.values())
