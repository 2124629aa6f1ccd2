import re

import pytest

from fulfillment.couriers.adapters import get_adapter
from fulfillment.couriers.adapters.errors import CourierNotSupported
from fulfillment.couriers.adapters.types import Parcel, Quote, ShipmentRequest
from tests.support.couriers import ADDRESS_FROM, ADDRESS_TO

REQUEST = ShipmentRequest(
    sender=ADDRESS_FROM,
    recipient=ADDRESS_TO,
    parcels=(Parcel(1500, 300, 200, 100),),
    service_code="same-day",
    reference="ORD-1",
    idempotency_key="order-1",
)


def test_manual_courier_issues_its_own_unguessable_tracking_numbers():
    adapter = get_adapter("manual", credentials={})
    numbers = {adapter.create_shipment(REQUEST).tracking_number for _ in range(200)}
    assert len(numbers) == 200
    assert all(re.fullmatch(r"NBX[2-9A-HJ-NP-Z]{10}", n) for n in numbers)


def test_manual_quotes_come_from_the_callers_rate_card():
    quote = Quote("manual", "same-day", "Same day", 650, "USD")
    adapter = get_adapter("manual", credentials={}, quote_source=lambda request: [quote])
    assert adapter.quote(REQUEST) == [quote]
    with pytest.raises(CourierNotSupported):
        get_adapter("manual", credentials={}).quote(REQUEST)


def test_manual_courier_has_nothing_to_poll_and_no_webhooks():
    adapter = get_adapter("manual", credentials={})
    assert adapter.capabilities.track_batch_size == 0
    assert adapter.track(["NBX23456789AB"]) == {}
    with pytest.raises(CourierNotSupported):
        adapter.parse_webhook(b"{}", {})


def test_an_unknown_courier_code_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match=r"known: .*'dhl'"):
        get_adapter("fedex", credentials={})
