"""A courier webhook of one position (what on-demand couriers send every few seconds) is stored
by one hand-written statement on PostgreSQL (tracking/webhooks.py _receive_position): it must
store exactly what the general path stores, queue the nearby message once, and the portable
position upsert (positions.record_position) must keep the newest on SQLite too."""

from __future__ import annotations

import datetime as dt
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fulfillment.couriers.services import accounts as courier_service
from fulfillment.models import CourierAccount, CourierPosition, Notification, WebhookReceipt
from fulfillment.tracking import nearby, webhooks
from fulfillment.tracking.positions import Position, record_position
from tests.fulfillment.tracking.test_courier_positions import (
    DELIVERY,
    on_demand,
    post,
    uber_body,
    uber_signed,
)
from tests.support.tracking import add_shipment, sandbox_account

STORED = ("latitude", "longitude", "recorded_at", "courier_name", "vehicle", "eta_at")


@pytest.fixture(autouse=True)
def _no_shipments_known_from_another_test():
    webhooks.forget_known_shipments()
    yield
    webhooks.forget_known_shipments()


def one_statement(monkeypatch, enabled: bool) -> None:
    monkeypatch.setattr(webhooks, "_one_statement_will_do", lambda account: enabled)


def far_eta(body: bytes) -> bytes:
    """The sample's ETA is long past (near by its ETA): put it an hour away."""
    document = json.loads(body)
    document["data"]["dropoff_eta"] = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    document["data"]["courier_imminent"] = False
    return json.dumps(document).encode()


def post_sequence(token: str, start: datetime) -> list[dict]:
    """A new position, an older one (kept out), a newer one, and a replay of the last."""
    answers = []
    for seconds, lat in ((0, 40.71), (-20, 40.72), (20, 40.73)):
        body = uber_body(at=start + timedelta(seconds=seconds), lat=lat)
        answers.append(post(token, body, uber_signed(body)))
    answers.append(post(token, body, uber_signed(body)))
    return [(a.status_code, a.json()) for a in answers]


@pytest.mark.django_db(transaction=True)
def test_one_statement_stores_what_the_general_path_stores(merchant_a, merchant_b, monkeypatch):
    start = datetime.now(UTC) - timedelta(seconds=30)
    seen = {}
    for merchant, enabled in ((merchant_a, False), (merchant_b, True)):
        acct, shipment = on_demand(merchant.merchant, "uber_direct", DELIVERY)
        one_statement(monkeypatch, enabled)
        answers = post_sequence(acct.webhook_token, start)
        row = CourierPosition.objects.filter(shipment=shipment).values(*STORED).get()
        seen[enabled] = (answers, row, WebhookReceipt.objects.filter(account=acct).count())
    general, one = seen[False], seen[True]
    assert one == general
    assert [status for status, _ in one[0]] == [200, 200, 200, 409]
    assert one[1]["latitude"] == 40.73 and one[2] == 3


@pytest.mark.django_db(transaction=True)
def test_a_one_position_webhook_is_one_statement(merchant_a, monkeypatch):
    acct, shipment = on_demand(merchant_a.merchant, "uber_direct", DELIVERY)
    one_statement(monkeypatch, True)
    first = uber_body(at=datetime.now(UTC) - timedelta(seconds=5))
    assert post(acct.webhook_token, first, uber_signed(first)).status_code == 200
    body = uber_body(lat=40.75)
    with CaptureQueriesContext(connection) as queries:
        assert post(acct.webhook_token, body, uber_signed(body)).json()["positions"] == 1
    # The account is remembered; its check, the receipt, the position and nearby's read are one
    # statement (no BEGIN, no COMMIT).
    assert len(queries) == 1, [q["sql"][:80] for q in queries]
    assert CourierPosition.objects.get(shipment=shipment).latitude == 40.75


@pytest.mark.django_db(transaction=True)
def test_near_positions_through_one_statement_queue_one_nearby_message(
    merchant_a, monkeypatch, settings
):
    settings.NEARBOX_NEARBY_DISTANCE_M = 500
    acct, shipment = on_demand(merchant_a.merchant, "uber_direct", DELIVERY)
    home = nearby.dropoff_point(shipment)
    assert home is not None
    one_statement(monkeypatch, True)
    far = far_eta(uber_body(at=datetime.now(UTC) - timedelta(seconds=10), lat=home[0] + 0.05,
                            lng=home[1]))  # fmt: skip
    assert post(acct.webhook_token, far, uber_signed(far)).status_code == 200
    assert not Notification.objects.filter(shipment=shipment, kind="nearby").exists()
    for seconds_ago in (5, 0):  # on the doorstep, twice
        at = datetime.now(UTC) - timedelta(seconds=seconds_ago)
        near = far_eta(uber_body(at=at, lat=home[0], lng=home[1]))
        assert post(acct.webhook_token, near, uber_signed(near)).status_code == 200
    assert Notification.objects.filter(shipment=shipment, kind="nearby").count() == 1


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_record_position_keeps_the_newest_on_either_database(merchant_a):
    account, service = sandbox_account(merchant_a.merchant)
    shipment = add_shipment(account, service)
    now = timezone.now()

    def store(seconds: float, lat: float) -> bool:
        position = Position(lat, 4.9, now + dt.timedelta(seconds=seconds), courier_name="Sam")
        return record_position(
            merchant_id=shipment.merchant_id, shipment_id=shipment.pk, position=position
        )

    assert store(0, 52.0) is True
    assert store(-10, 52.1) is False  # older: kept out
    assert store(0, 52.2) is False  # as new: kept out
    assert store(10, 52.3) is True
    stored = CourierPosition.objects.get(shipment=shipment)
    assert (stored.latitude, stored.recorded_at) == (52.3, now + dt.timedelta(seconds=10))
    assert stored.courier_name == "Sam" and stored.merchant_id == shipment.merchant_id


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_the_account_lookup_and_the_receipt_work_on_either_database(merchant_a):
    account, _ = sandbox_account(merchant_a.merchant)
    found = webhooks._active_account(account.webhook_token)
    assert found is not None and (found.pk, found.courier) == (account.pk, account.courier)
    assert found.created_at == account.created_at  # converted as the ORM does
    now = timezone.now()
    assert webhooks._receipt_stored(account, "evt_1", 1, now) is True
    assert webhooks._receipt_stored(account, "evt_1", 1, now) is False  # a replay
    account.is_active = False
    account.save(update_fields=["is_active"])
    assert webhooks._active_account(account.webhook_token) is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("enabled", [True, False], ids=["one statement", "general path"])
def test_a_remembered_account_rotated_or_deactivated_is_read_again(
    merchant_a, monkeypatch, enabled
):
    acct, shipment = on_demand(merchant_a.merchant, "uber_direct", DELIVERY)
    one_statement(monkeypatch, enabled)
    first = uber_body(at=datetime.now(UTC) - timedelta(seconds=20))
    assert post(acct.webhook_token, first, uber_signed(first)).status_code == 200  # remembered
    credentials = courier_service.credentials_for(acct) | {"webhook_signing_key": "new-key"}
    CourierAccount.objects.filter(pk=acct.pk).update(  # no save(): updated_at stays
        credentials_encrypted=courier_service.encrypt_credentials(credentials)
    )
    old_key = uber_body(at=datetime.now(UTC) - timedelta(seconds=10), lat=40.9)
    assert post(acct.webhook_token, old_key, uber_signed(old_key)).status_code == 401
    new_key = uber_body(at=datetime.now(UTC) - timedelta(seconds=5), lat=40.8)
    assert post(acct.webhook_token, new_key, uber_signed(new_key, "new-key")).status_code == 200
    # Rotated again: the first webhook is signed with the key memory has not seen yet.
    credentials["webhook_signing_key"] = "newer-key"
    CourierAccount.objects.filter(pk=acct.pk).update(
        credentials_encrypted=courier_service.encrypt_credentials(credentials)
    )
    newer = uber_body(at=datetime.now(UTC) - timedelta(seconds=2), lat=40.85)
    assert post(acct.webhook_token, newer, uber_signed(newer, "newer-key")).status_code == 200
    CourierAccount.objects.filter(pk=acct.pk).update(is_active=False)
    late = uber_body(lat=40.7)
    assert post(acct.webhook_token, late, uber_signed(late, "newer-key")).status_code == 404
    assert CourierPosition.objects.get(shipment=shipment).latitude == 40.85
    assert WebhookReceipt.objects.filter(account=acct).count() == 3
