"""Settings → Integrations and /api/v1/webhooks: add (secret once), test, disable/enable,
rotate, delete, the delivery log; hostile input answers a clear error and writes nothing;
another merchant's endpoint or delivery is 404 (the sweep in tests/test_tenant_isolation.py
covers every id route too)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from integrations.crypto import decrypt_secret
from integrations.models import WebhookDelivery, WebhookEndpoint
from tests.factories.integrations import make_delivery, make_endpoint

pytestmark = pytest.mark.django_db
PAGE = "/app/settings/integrations/"
API = "/api/v1/webhooks"


def endpoint_page(endpoint_id: int) -> str:
    return f"{PAGE}webhooks/{endpoint_id}/"


def test_adding_an_endpoint_shows_its_secret_once_and_the_test_event_shows_the_answer(
    client_a, merchant_a, receiver
):
    response = client_a.post(
        PAGE,
        {"url": receiver.url, "description": "ERP", "events": ["order.created", "pickup.ready"]},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302 and response["Location"] == endpoint_page(endpoint.pk)
    assert endpoint.merchant == merchant_a.merchant
    assert endpoint.events == ["order.created", "pickup.ready"]
    secret = decrypt_secret(endpoint.secret_encrypted)
    assert secret not in endpoint.secret_encrypted  # stored encrypted

    first = client_a.get(endpoint_page(endpoint.pk))
    assert secret in first.content.decode()
    assert first["Cache-Control"] == "no-store"
    again = client_a.get(endpoint_page(endpoint.pk))
    assert secret not in again.content.decode()
    assert "Integrations" in again.content.decode()

    tested = client_a.post(f"{endpoint_page(endpoint.pk)}test", headers={"HX-Request": "true"})
    assert "Test event delivered: HTTP 204" in tested.content.decode()
    assert receiver.accepted[0].document["type"] == "ping"
    log = client_a.get(endpoint_page(endpoint.pk), headers={"HX-Request": "true"})
    assert "<code>ping</code>" in log.content.decode() and "HTTP 204" in log.content.decode()


def test_disable_enable_rotate_and_delete_from_the_page(client_a, merchant_a):
    endpoint = make_endpoint(merchant_a.merchant)
    old = decrypt_secret(endpoint.secret_encrypted)
    client_a.post(f"{endpoint_page(endpoint.pk)}toggle")
    endpoint.refresh_from_db()
    assert endpoint.is_active is False and endpoint.disabled_reason
    client_a.post(f"{endpoint_page(endpoint.pk)}toggle")
    endpoint.refresh_from_db()
    assert endpoint.is_active is True and not endpoint.disabled_reason

    client_a.post(f"{endpoint_page(endpoint.pk)}rotate")
    endpoint.refresh_from_db()
    new = decrypt_secret(endpoint.secret_encrypted)
    assert new != old
    assert new in client_a.get(endpoint_page(endpoint.pk)).content.decode()

    client_a.post(f"{endpoint_page(endpoint.pk)}delete")
    assert not WebhookEndpoint.objects.exists()


def test_the_delivery_log_pages_newest_first(client_a, merchant_a):
    endpoint = make_endpoint(merchant_a.merchant)
    made = [make_delivery(merchant_a.merchant, endpoint=endpoint) for _ in range(27)]
    first = client_a.get(endpoint_page(endpoint.pk)).content.decode()
    assert f"evt_{made[-1].event_id}<" in first and f"evt_{made[0].event_id}<" not in first
    assert "Page 1 of 2" in first
    second = client_a.get(endpoint_page(endpoint.pk) + "?page=2").content.decode()
    assert f"evt_{made[0].event_id}<" in second


def test_staff_members_cannot_manage_webhooks(merchant_a):
    from merchant.models import Membership, User

    staff = User.objects.create_user("staff-hooks@example.com", "x")
    Membership.objects.create(merchant=merchant_a.merchant, user=staff, role="staff")
    client = Client()
    client.force_login(staff)
    assert client.get(PAGE).status_code == 403
    assert (
        client.post(PAGE, {"url": "https://example.com", "events": ["order.created"]}).status_code
        == 403
    )
    assert not WebhookEndpoint.objects.exists()


def test_another_merchants_endpoint_and_delivery_answer_404_and_stay_unchanged(
    client_a, api_client_a, merchant_b
):
    endpoint = make_endpoint(merchant_b.merchant)
    delivery = make_delivery(merchant_b.merchant, endpoint=endpoint)
    for suffix in ("", "test", "toggle", "rotate", "delete"):
        assert client_a.post(endpoint_page(endpoint.pk) + suffix).status_code == 404
    assert client_a.get(endpoint_page(endpoint.pk)).status_code == 404
    assert client_a.post(f"{PAGE}webhooks/deliveries/{delivery.pk}/resend").status_code == 404
    assert api_client_a.get(f"{API}/endpoints/{endpoint.pk}").status_code == 404
    assert api_client_a.get(f"{API}/endpoints/{endpoint.pk}/deliveries").status_code == 404
    assert api_client_a.post(f"{API}/deliveries/{delivery.pk}/resend").status_code == 404
    assert api_client_a.get(f"{API}/endpoints").json() == []
    endpoint.refresh_from_db()
    delivery.refresh_from_db()
    assert endpoint.is_active and delivery.state == "delivered" and delivery.attempts == 1


HOSTILE_URLS = [
    ("ftp://example.com/hooks", "http:// or https://"),
    ("javascript:alert(1)", "http:// or https://"),
    ("https://user:pw@example.com/", "no user name or password"),
    ("https://exa mple.com/", "spaces or control characters"),
    ("https://example.com/\x00", "spaces or control characters"),
    ("https://" + "a" * 600 + ".com/", "at most 500"),
    ("http://", "valid URL"),
    ("", "Enter the URL"),
]


@pytest.mark.parametrize(("url", "says"), HOSTILE_URLS)
def test_a_bad_url_is_refused_on_the_page_and_in_the_api(client_a, api_client_a, url, says):
    page = client_a.post(PAGE, {"url": url, "events": ["order.created"]})
    assert page.status_code == 422
    shown = page.content.decode()
    assert says.split()[0] in shown or "Null characters are not allowed" in shown
    answer = api_client_a.post(
        f"{API}/endpoints",
        json.dumps({"url": url, "events": ["order.created"]}),
        "application/json",
    )
    assert answer.status_code == 422, answer.content
    assert answer.json()["code"] == "invalid" and answer.json()["field"] == "url"
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/", "http://localhost/hooks", "http://10.1.2.3/", "http://[::1]/",
     "http://169.254.169.254/latest/meta-data", "http://[::ffff:127.0.0.1]/"],
)  # fmt: skip
def test_private_and_local_targets_are_refused_in_production(api_client_a, settings, url):
    settings.NEARBOX_WEBHOOKS_ALLOW_PRIVATE = False
    answer = api_client_a.post(
        f"{API}/endpoints",
        json.dumps({"url": url, "events": ["order.created"]}),
        "application/json",
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "url"
    assert "local" in answer.json()["detail"] or "private" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "https://example.com", "events": ["order.shipped"]}, "events"),
        ({"url": "https://example.com", "events": []}, "events"),
        ({"url": "https://example.com", "events": "order.created"}, "events"),
        ({"url": "https://example.com", "events": ["x" * 100]}, "events[0]"),
        ({"url": "https://example.com"}, "events"),
        ({"url": "https://example.com", "events": ["order.created"], "description": "a\x00b"},
         "description"),
        ({"url": "https://example.com", "events": ["order.created"], "description": "\ud800"},
         "description"),
        ({"url": 12, "events": ["order.created"]}, "url"),
    ],
)  # fmt: skip
def test_hostile_api_bodies_get_a_problem_naming_the_field(api_client_a, body, field):
    raw = json.dumps(body)
    answer = api_client_a.post(f"{API}/endpoints", raw, "application/json")
    assert answer.status_code == 422, answer.content
    assert answer.json()["field"] == field
    assert not WebhookEndpoint.objects.exists()


def test_unknown_events_and_huge_bodies_on_the_form(client_a):
    page = client_a.post(PAGE, {"url": "https://example.com", "events": ["order.shipped"]})
    assert page.status_code == 422
    assert "Unknown event: order.shipped" in page.content.decode()
    huge = client_a.post(PAGE, {"url": "https://example.com/" + "x" * 3_000_000, "events": []})
    assert huge.status_code in (400, 413, 422)
    assert not WebhookEndpoint.objects.exists()


def test_the_api_adds_lists_patches_tests_and_deletes(api_client_a, receiver, merchant_a):
    made = api_client_a.post(
        f"{API}/endpoints",
        json.dumps({"url": receiver.url, "events": ["shipment.booked", "order.created"]}),
        "application/json",
    )
    assert made.status_code == 201
    body = made.json()
    assert body["secret"].startswith("whsec_") and body["secret_hint"] == body["secret"][-4:]
    assert body["events"] == ["order.created", "shipment.booked"]  # documented order
    endpoint_id = body["id"]
    listed = api_client_a.get(f"{API}/endpoints").json()
    assert [e["id"] for e in listed] == [endpoint_id] and "secret" not in listed[0]
    patched = api_client_a.patch(
        f"{API}/endpoints/{endpoint_id}",
        json.dumps({"events": ["pickup.collected"]}),
        "application/json",
    )
    assert patched.json()["events"] == ["pickup.collected"]
    assert patched.json()["url"] == receiver.url
    tested = api_client_a.post(f"{API}/endpoints/{endpoint_id}/test").json()
    assert (tested["state"], tested["last_status_code"]) == ("delivered", 204)
    log = api_client_a.get(f"{API}/endpoints/{endpoint_id}/deliveries").json()
    assert log["count"] == 1 and log["items"][0]["event_type"] == "ping"
    disabled = api_client_a.post(f"{API}/endpoints/{endpoint_id}/disable").json()
    assert disabled["is_active"] is False
    resend = api_client_a.post(f"{API}/deliveries/{log['items'][0]['id']}/resend")
    assert resend.status_code == 422 and "Enable the endpoint" in resend.json()["detail"]
    assert api_client_a.post(f"{API}/endpoints/{endpoint_id}/enable").json()["is_active"]
    rotated = api_client_a.post(f"{API}/endpoints/{endpoint_id}/rotate-secret").json()
    assert rotated["secret"] != body["secret"]
    assert api_client_a.delete(f"{API}/endpoints/{endpoint_id}").status_code == 204
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()
    types = api_client_a.get(f"{API}/event-types").json()
    assert "shipment.exception" in [t["type"] for t in types]
