"""The courier sandbox's redirect and reschedule endpoints, through the sandbox adapter over
HTTP: accepted before delivery, a 409 once delivered, a 404 for an unknown parcel, a 400 for a
body without an address or a day."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from fulfillment.couriers.adapters import get_adapter
from fulfillment.couriers.adapters.errors import CourierError
from tests.support.couriers import SANDBOX_KEY, start_sandbox
from tests.support.helpers import wait_for

ADDRESS = {"name": "Loop Locker", "street": "1 Test St", "city": "Chicago",
           "postal_code": "60601", "country": "US"}  # fmt: skip
BODY = {
    "service": "next-day", "reference": "R1",
    "sender": {"city": "Chicago", "postal_code": "60601", "country": "US"},
    "recipient": {"city": "Chicago", "postal_code": "60614", "country": "US"},
    "parcels": [{"weight_g": 500, "length_mm": 300, "width_mm": 200, "height_mm": 100}],
}  # fmt: skip


@pytest.fixture(scope="module")
def slow():
    server = start_sandbox("--speed", "1")
    yield server
    server.stop()


def book(url: str) -> str:
    answer = httpx.post(f"{url}/shipments", headers={"DHL-API-Key": SANDBOX_KEY}, json=BODY)
    assert answer.status_code == 201
    return answer.json()["trackingNumber"]


def test_the_sandbox_takes_a_redirect_and_a_day_and_refuses_what_it_cannot(
    slow, fresh_sandbox, sandbox_http
):
    adapter = get_adapter(
        "sandbox", credentials={"api_key": SANDBOX_KEY}, base_url=slow.url, http=sandbox_http()
    )
    assert adapter.capabilities.can_redirect
    number = book(slow.url)
    adapter.redirect(number, ADDRESS)
    adapter.reschedule(number, dt.date(2030, 1, 2))
    told = httpx.get(
        f"{slow.url}/shipments/{number}/instructions", headers={"DHL-API-Key": SANDBOX_KEY}
    ).json()
    assert told["redirect"]["postal_code"] == "60601" and told["delivery_date"] == "2030-01-02"

    with pytest.raises(CourierError, match="404"):
        adapter.redirect("SBX0000000000", ADDRESS)
    for bad in ({}, {"address": "x"}, {"address": {"name": "no postcode"}}, {"date": 5}):
        answer = httpx.post(
            f"{slow.url}/shipments/{number}/{'reschedule' if 'date' in bad else 'redirect'}",
            headers={"DHL-API-Key": SANDBOX_KEY},
            json=bad,
        )
        assert answer.status_code == 400, bad

    fast = get_adapter(
        "sandbox", credentials={"api_key": SANDBOX_KEY}, base_url=fresh_sandbox.url,
        http=sandbox_http(),
    )  # fmt: skip
    delivered = book(fresh_sandbox.url)

    # A day passes in about a second there: wait for the delivery to become visible.
    def is_delivered() -> bool:
        found = fast.track([delivered])[delivered]
        return not isinstance(found, CourierError) and found.status.value == "delivered"

    wait_for(is_delivered, what="the fast sandbox delivering")
    with pytest.raises(CourierError, match="409"):
        fast.redirect(delivered, ADDRESS)
