"""Settings → Integrations, the stores part: connect a Shopify store against the fake store,
see it listed with its webhook address, test it, take an exception in again, disconnect it;
owners only; every id route answers 404 for another merchant's store or order."""

from __future__ import annotations

import pytest

from fulfillment.models import Order
from integrations.models import PlatformConnection, PlatformOrder
from integrations.platforms import intake, receiving
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import stock
from tests.integrations.platforms.shopify_support import (
    SECRET,
    TOKEN,
    chicago_order,
    fake_shop,
    make_connection,
)


@pytest.fixture
def store(settings):
    settings.NEARBOX_PLATFORMS_ALLOW_LOOPBACK = True
    fake = fake_shop()
    with fake.serving():
        yield fake


def connect_form(store, **changes) -> dict:
    return {
        "name": "My Shopify",
        "shop_url": store.base_url,
        "backfill_days": "0",
        "credential_access_token": TOKEN,
        "credential_app_secret": SECRET,
        **changes,
    }


@pytest.mark.django_db
def test_connect_test_and_disconnect_a_shopify_store_from_the_page(client_a, store):
    page = client_a.get("/app/settings/integrations/")
    assert page.status_code == 200
    assert 'href="/app/settings/integrations/stores/connect/shopify/"' in page.content.decode()
    assert "No store connected yet" in page.content.decode()

    form = client_a.get("/app/settings/integrations/stores/connect/shopify/")
    assert "Admin API access token" in form.content.decode()
    assert 'type="password"' in form.content.decode()

    response = client_a.post(
        "/app/settings/integrations/stores/connect/shopify/", connect_form(store)
    )
    connection = PlatformConnection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/app/settings/integrations/stores/{connection.pk}/"
    assert len(store.webhooks) == 3

    detail = client_a.get(response["Location"]).content.decode()
    assert "My Shopify" in detail and receiving.webhook_url(connection) in detail
    assert TOKEN not in detail and SECRET not in detail  # never shown back
    assert "My Shopify" in client_a.get("/app/settings/integrations/").content.decode()

    tested = client_a.post(f"/app/settings/integrations/stores/{connection.pk}/test", follow=True)
    assert "Connected to Fake Store (fake-store.myshopify.com)." in tested.content.decode()

    store.token = "shpat_rotated_at_shopify"  # the old token no longer works
    tested = client_a.post(f"/app/settings/integrations/stores/{connection.pk}/test", follow=True)
    assert "refused the Admin API access token" in tested.content.decode()
    connection.refresh_from_db()
    assert connection.state == "failing"
    store.token = TOKEN

    gone = client_a.post(
        f"/app/settings/integrations/stores/{connection.pk}/disconnect", follow=True
    )
    assert "is disconnected" in gone.content.decode()
    connection.refresh_from_db()
    assert (connection.state, connection.credentials_encrypted, store.webhooks) == (
        "disconnected",
        "",
        {},
    )


@pytest.mark.django_db
def test_a_refused_connect_shows_why_and_keeps_nothing(client_a, store):
    response = client_a.post(
        "/app/settings/integrations/stores/connect/shopify/",
        connect_form(store, credential_access_token="shpat_wrong"),
    )
    assert response.status_code == 422
    assert "Not connected: Shopify refused the Admin API access token" in response.content.decode()
    missing = client_a.post(
        "/app/settings/integrations/stores/connect/shopify/",
        connect_form(store, shop_url="https://evil.example.com", credential_app_secret=""),
    )
    assert missing.status_code == 422
    assert not PlatformConnection.objects.exists()
    assert client_a.get("/app/settings/integrations/stores/connect/magento/").status_code == 404


@pytest.mark.django_db
def test_an_exception_is_listed_and_taken_in_again_from_the_page(merchant_a, client_a):
    merchant = merchant_a.merchant
    connection = make_connection(merchant)
    point = make_point(merchant, postal_code="60614")
    done = intake.take_in(connection=connection, payload=chicago_order("TEA-<b>9</b>"))
    platform_order = done.platform_order
    assert platform_order.state == "exception"

    page = client_a.get(f"/app/settings/integrations/stores/{connection.pk}/").content.decode()
    assert "Unknown SKU “TEA-&lt;b&gt;9&lt;/b&gt;”." in page  # escaped, not markup

    stock(merchant, point, make_product(merchant, sku="TEA-<b>9</b>"), 2)
    response = client_a.post(
        f"/app/settings/integrations/stores/orders/{platform_order.pk}/take-in", follow=True
    )
    assert f"Order {platform_order.external_name} is in Nearbox now." in response.content.decode()
    platform_order.refresh_from_db()
    assert platform_order.state == "imported" and Order.objects.count() == 1


@pytest.mark.django_db
def test_every_id_route_is_404_for_another_merchant(merchant_a, merchant_b, client_a):
    theirs = make_connection(merchant_b.merchant)
    their_order = PlatformOrder.objects.create(
        merchant=merchant_b.merchant,
        connection=theirs,
        external_id="1",
        state="exception",
        payload={},
    )
    base = "/app/settings/integrations/stores"
    assert client_a.get(f"{base}/{theirs.pk}/").status_code == 404
    assert client_a.post(f"{base}/{theirs.pk}/test").status_code == 404
    assert client_a.post(f"{base}/{theirs.pk}/disconnect").status_code == 404
    assert client_a.post(f"{base}/orders/{their_order.pk}/take-in").status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == "active"
    assert "Fake Store" not in client_a.get("/app/settings/integrations/").content.decode()


@pytest.mark.django_db
def test_staff_members_cannot_reach_the_stores(merchant_a, store):
    from django.test import Client

    from merchant.models import Membership, User

    connection = make_connection(merchant_a.merchant)
    staff = User.objects.create_user("staff-stores@example.com", "x")
    Membership.objects.create(merchant=merchant_a.merchant, user=staff, role="staff")
    client = Client()
    client.force_login(staff)
    base = "/app/settings/integrations/stores"
    assert client.get(f"{base}/{connection.pk}/").status_code == 403
    assert client.post(f"{base}/connect/shopify/", connect_form(store)).status_code == 403
    assert client.post(f"{base}/{connection.pk}/disconnect").status_code == 403
    connection.refresh_from_db()
    assert connection.state == "active" and store.webhooks == {}
