"""Tracking pages: the public page by token only, the live shipments list with filters, the
exceptions queue and its actions, notification settings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from fulfillment.couriers.adapters import TrackingStatus as S
from fulfillment.models import NotificationSettings, Shipment
from fulfillment.tracking.ingest import ingest_results
from tests.support.tracking import add_shipment, event, result, sandbox_account


@pytest.fixture
def shipment(merchant_a):
    account, service = sandbox_account(merchant_a.merchant)
    return add_shipment(account, service)


@pytest.mark.django_db(transaction=True)
def test_the_public_page_answers_its_token_only_and_stops_polling_when_delivered(shipment):
    client = Client()
    page = client.get(f"/t/{shipment.public_token}/")
    assert page.status_code == 200 and b"Shop A" in page.content
    assert b"hx-trigger" in page.content
    assert client.get(f"/t/{shipment.public_token[:-2]}xx/").status_code == 404
    assert client.get(f"/t/{shipment.pk}/").status_code == 404
    assert client.get(f"/t/{shipment.public_token}/status").status_code == 200
    n = shipment.tracking_number
    now = timezone.now()
    ingest_results(
        account=shipment.account, results={n: result(n, event(n, S.DELIVERED, now, "delivered"))}
    )
    final = client.get(f"/t/{shipment.public_token}/status")
    assert final.status_code == 286 and b"hx-trigger" not in final.content
    assert b"Delivered" in final.content


@pytest.mark.django_db(transaction=True)
def test_the_shipments_list_filters_paginates_and_refreshes_as_a_fragment(
    shipment, client_a, merchant_b
):
    other_account, other_service = sandbox_account(merchant_b.merchant)
    foreign = add_shipment(other_account, other_service)
    page = client_a.get("/app/shipments/")
    assert page.status_code == 200
    assert shipment.tracking_number.encode() in page.content
    assert foreign.tracking_number.encode() not in page.content
    fragment = client_a.get("/app/shipments/?status=delivered", headers={"HX-Request": "true"})
    assert b"<html" not in fragment.content and b"No shipment matches" in fragment.content
    assert client_a.get("/app/shipments/?status=info_received").content.count(b"data-shipment") == 1


@pytest.mark.django_db(transaction=True)
def test_exceptions_queue_lists_failed_attempts_and_its_actions_work(
    shipment, client_a, merchant_a, celery_worker
):
    n = shipment.tracking_number
    failed = event(n, S.FAILED_ATTEMPT, timezone.now() - dt.timedelta(hours=1), "not home")
    ingest_results(account=shipment.account, results={n: result(n, failed)})
    page = client_a.get("/app/shipments/exceptions/")
    assert page.status_code == 200 and n.encode() in page.content and b"mailto:" in page.content
    answer = client_a.post(f"/app/shipments/{shipment.pk}/exception", {"action": "refunded"})
    assert answer.status_code == 302
    shipment.refresh_from_db()
    assert shipment.refunded_at is not None
    action_url = f"/app/shipments/{shipment.pk}/exception".encode()
    assert action_url not in client_a.get("/app/shipments/exceptions/").content
    client_a.post(f"/app/shipments/{shipment.pk}/exception", {"action": "reship"})
    reship = Shipment.objects.get(reship_of=shipment)
    shipment.refresh_from_db()
    assert shipment.cancelled_at is not None and reship.order_id == shipment.order_id
    assert reship.idempotency_key.endswith("-reship-1")


@pytest.mark.django_db(transaction=True)
def test_another_merchants_shipment_action_is_404(shipment, make_merchant):
    other = make_merchant("Shop C")
    client = Client()
    client.force_login(other.owner)
    answer = client.post(f"/app/shipments/{shipment.pk}/exception", {"action": "cancel"})
    assert answer.status_code == 404
    shipment.refresh_from_db()
    assert shipment.cancelled_at is None


@pytest.mark.django_db(transaction=True)
def test_notification_settings_switch_kinds_off(client_a, merchant_a):
    answer = client_a.post(
        "/app/shipments/notifications/",
        {"shipped": "on", "delivered": "on", "email_enabled": "on"},
    )
    assert answer.status_code == 302
    prefs = NotificationSettings.objects.get(merchant=merchant_a.merchant)
    assert prefs.shipped and prefs.delivered and not prefs.out_for_delivery
    assert not prefs.sms_enabled
