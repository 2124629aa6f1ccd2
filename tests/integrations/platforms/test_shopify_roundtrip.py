"""Shopify round trip, every hop real: the fake store sends a signed orders/create over HTTP to
the running app, a real Celery worker takes the order in (routed, stock reserved), the parcel
is booked at the sandbox courier by the worker, the booking reaches the store as a fulfilment
with the tracking number (the worker again), the sandbox delivers it, and the store shows the
delivered event."""

from __future__ import annotations

import pytest

from fulfillment.models import Order, Shipment
from fulfillment.orders.services.orders import advance_order
from fulfillment.shipments.services.booking import request_shipment
from fulfillment.tracking.polling import poll_batch
from integrations.models import InboundWebhook, PlatformOrder
from integrations.platforms.connections import connect_store
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import stock
from tests.integrations.platforms.shopify_support import SECRET, TOKEN, chicago_order, fake_shop
from tests.support.helpers import wait_for
from tests.support.tracking import sandbox_account


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_order_goes_from_shopify_to_a_delivered_fulfilment(
    merchant_a, live_server, settings, sandbox, celery_worker
):
    settings.NEARBOX_BASE_URL = live_server.url  # where the store posts its webhooks
    settings.NEARBOX_PLATFORMS_ALLOW_LOOPBACK = True
    merchant = merchant_a.merchant
    stock(
        merchant, make_point(merchant, postal_code="60614"), make_product(merchant, sku="MUG-1"), 5
    )
    account, _ = sandbox_account(merchant, sandbox.url)
    shop = fake_shop()

    with shop.serving() as shop_url:
        connect_store(
            merchant=merchant,
            platform="shopify",
            shop_url=shop_url,
            credentials={"access_token": TOKEN, "app_secret": SECRET},
        )
        placed = shop.add_order(chicago_order("MUG-1", code="home:any"))
        assert shop.send_webhook("orders/create", placed) == 200

        platform_order = wait_for(
            lambda: PlatformOrder.objects.filter(state="imported").select_related("order").first()
        )
        order = platform_order.order
        assert (order.source, order.status, order.reference) == (
            "shopify",
            "allocated",
            placed["name"],
        )
        assert InboundWebhook.objects.get().state == "done"

        advance_order(order=order, to_status=Order.Status.PICKED, user=None)
        shipment = request_shipment(merchant=merchant, order=order, option_id="rule")
        assert shipment.account_id == account.pk
        booked = wait_for(
            lambda: Shipment.objects.filter(pk=shipment.pk).exclude(tracking_number="").first()
        )
        fulfillment = wait_for(lambda: next(iter(shop.fulfillments_of(placed["id"])), None))
        assert fulfillment["tracking_number"] == booked.tracking_number
        assert fulfillment["tracking_url"].endswith(f"/t/{booked.public_token}/")
        assert fulfillment["notify_customer"] is True

        def delivered() -> bool:
            poll_batch(account_id=account.pk, shipment_ids=[shipment.pk])
            return Shipment.objects.get(pk=shipment.pk).status == "delivered"

        wait_for(delivered, timeout=60)

        def events() -> list[str]:
            return [e["status"] for e in shop.fulfillments_of(placed["id"])[0]["events"]]

        wait_for(lambda: "delivered" in events(), what="the delivered event at Shopify")
        assert events()[0] == "confirmed"  # the booking (info received), then the journey
        assert events()[-1] == "delivered"
        assert len(shop.fulfillments_of(placed["id"])) == 1  # one fulfilment, its events
        platform_order.refresh_from_db()
        assert platform_order.fulfillments[str(shipment.pk)]["status"] == "delivered"
