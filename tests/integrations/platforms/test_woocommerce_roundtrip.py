"""WooCommerce round trip over real HTTP: Nearbox connects to a fake WooCommerce store
(devtools/fake_platforms/woocommerce.py, OAuth 1.0a over plain http), registers its webhooks
(the store's pings answered 200, nothing stored), the store's signed order.created reaches the
running app, the order is taken in and routed, its booking is written back as a customer note
and a Shipment Tracking item, its delivery as status "completed", and disconnecting removes
the webhooks at the store.

The app's tasks are run here in-process (the same functions the Celery tasks call: the worker
path is the shared core's own test), so the test waits for nothing but HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from devtools.fake_platforms import running
from devtools.fake_platforms.woocommerce import FakeWooCommerce
from integrations.models import InboundWebhook, PlatformConnection, PlatformOrder
from integrations.platforms import receiving, writeback
from integrations.platforms.connections import connect_store, disconnect_store
from integrations.platforms.woocommerce import TRACKING_META
from tests.factories.couriers import make_shipment
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import stock
from tests.integrations.platforms.test_woocommerce import chicago_order

KEY, SECRET = "ck_roundtrip_5a1e", "cs_roundtrip_9f3b"


@pytest.fixture
def store(live_server, settings, monkeypatch) -> Iterator[FakeWooCommerce]:
    settings.NEARBOX_BASE_URL = live_server.url  # where the store delivers our webhooks
    settings.NEARBOX_PLATFORMS_ALLOW_LOOPBACK = True  # the fake store is on 127.0.0.1
    queued: list[int] = []
    # The deliveries are processed below by the task's own function, not by a worker.
    monkeypatch.setattr(receiving, "_enqueue", queued.append)
    fake = FakeWooCommerce(consumer_key=KEY, consumer_secret=SECRET, echo_updates=True)
    with running(fake.server()):
        yield fake


@pytest.mark.django_db(transaction=True)
def test_an_order_from_woocommerce_comes_in_and_its_tracking_goes_back(merchant_a, store):
    merchant = merchant_a.merchant
    point = make_point(merchant, postal_code="60614")
    for sku in ("WOO-MUG", "WOO-BEANS"):
        stock(merchant, point, make_product(merchant, sku=sku), 10)

    connection, _ = connect_store(
        merchant=merchant,
        platform="woocommerce",
        shop_url=store.url,
        credentials={"consumer_key": KEY, "consumer_secret": SECRET},
        name="Fake Woo",
    )

    assert connection.state == PlatformConnection.State.ACTIVE
    hooks = store.webhooks.values()
    assert sorted(h["topic"] for h in hooks) == ["order.created", "order.updated"]
    assert {h["delivery_url"] for h in hooks} == {receiving.webhook_url(connection)}
    assert [status for _, status in store.pings] == [200, 200], store.pings
    assert not InboundWebhook.objects.exists()  # the pings are stored nowhere
    assert not store.refused, store.refused  # every API call was signed as WooCommerce wants

    placed = store.add_order(chicago_order(("WOO-MUG", "WOO-BEANS"), rate="home:any"))
    [sent] = store.send_webhook("order.created", placed["id"])
    assert sent.status == 200
    # WooCommerce may deliver again (a retry from its queue): nothing new is stored.
    store.deliver(
        receiving.webhook_url(connection),
        secret=store.secrets[sent.webhook_id],
        topic="order.created",
        body=json.dumps(store.order(placed["id"])).encode(),
        webhook_id=sent.webhook_id,
        delivery_id=sent.delivery_id,
    )
    webhook = InboundWebhook.objects.get()
    assert receiving.process_webhook(webhook_id=webhook.pk) == InboundWebhook.State.DONE

    platform_order = PlatformOrder.objects.select_related("order").get()
    order = platform_order.order
    assert platform_order.state == PlatformOrder.State.IMPORTED, platform_order.problem
    assert (order.reference, order.source, order.status) == (
        f"#{placed['number']}",
        "woocommerce",
        "allocated",
    )
    assert order.delivery_service == "any"

    shipment = make_shipment(merchant, order=order, tracking_number="NBXWOO0001")
    written = writeback.push(platform_order_id=platform_order.pk, shipment_id=shipment.pk)

    assert written is not None
    [note] = store.notes[placed["id"]]
    assert note["customer_note"] is True
    assert "NBXWOO0001" in note["note"] and shipment.account.name in note["note"]
    assert shipment.public_token in note["note"]  # the shopper's tracking page at Nearbox
    [item] = store.meta(placed["id"], TRACKING_META)
    assert item["tracking_number"] == "NBXWOO0001"
    assert item["custom_tracking_provider"] == shipment.account.name
    assert shipment.public_token in item["custom_tracking_link"]
    assert item["tracking_id"] == written["id"]
    assert store.order(placed["id"])["status"] == "processing"

    # Writing the same booking again (a retried task) adds neither a note nor an item.
    platform_order.refresh_from_db()
    assert writeback.push(platform_order_id=platform_order.pk, shipment_id=shipment.pk) is None
    assert len(store.notes[placed["id"]]) == 1

    shipment.status = "delivered"
    shipment.save(update_fields=["status"])
    writeback.push(platform_order_id=platform_order.pk, shipment_id=shipment.pk)

    assert store.order(placed["id"])["status"] == "completed"
    assert len(store.meta(placed["id"], TRACKING_META)) == 1
    platform_order.refresh_from_db()
    assert platform_order.fulfillments[str(shipment.pk)]["status"] == "delivered"

    # Each write through WooCommerce's API came back as an order.updated (the meta, then the
    # status): taken in calmly, the order stays in Nearbox as it is, with no exception.
    echoes = InboundWebhook.objects.filter(state=InboundWebhook.State.QUEUED)
    assert echoes.count() == 2
    for echo in echoes:
        receiving.process_webhook(webhook_id=echo.pk)
    platform_order.refresh_from_db()
    assert (platform_order.state, platform_order.problem) == (PlatformOrder.State.IMPORTED, "")
    assert platform_order.order_id == order.pk
    assert platform_order.payload["status"] == "completed"

    disconnect_store(connection=connection)
    assert store.webhooks == {}


@pytest.mark.django_db(transaction=True)
def test_a_refused_key_says_so_and_leaves_nothing_behind(merchant_a, store):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        connect_store(
            merchant=merchant_a.merchant,
            platform="woocommerce",
            shop_url=store.url,
            credentials={"consumer_key": KEY, "consumer_secret": "cs_wrong"},
        )

    assert "WooCommerce refused the key (401)" in str(refused.value)
    assert not PlatformConnection.objects.exists()
    assert store.webhooks == {} and store.refused


@pytest.mark.django_db(transaction=True)
def test_the_backfill_pages_through_paid_orders_since_a_date(merchant_a, store, monkeypatch):
    import datetime as dt

    from integrations.platforms import woocommerce

    monkeypatch.setattr(woocommerce, "PER_PAGE", 2)

    def new_order(**changes) -> dict:
        # The documented order as a new one: the store gives it its id, number and dates.
        order = chicago_order(("A", "B"))
        for field in ("id", "number", "date_created_gmt", "date_modified_gmt"):
            del order[field]
        return store.add_order({**order, **changes})

    old = new_order(date_created_gmt="2020-01-01T00:00:00")
    waiting = new_order(status="on-hold")
    recent = [new_order() for _ in range(5)]
    connection, _ = connect_store(
        merchant=merchant_a.merchant,
        platform="woocommerce",
        shop_url=store.url,
        credentials={"consumer_key": KEY, "consumer_secret": SECRET},
    )
    connector = woocommerce.WooCommerceConnector(
        connection, {"consumer_key": KEY, "consumer_secret": SECRET}
    )

    found = list(connector.fetch_orders(dt.datetime(2024, 1, 1, tzinfo=dt.UTC)))

    assert [o["id"] for o in found] == [o["id"] for o in recent]
    assert not {old["id"], waiting["id"]} & {o["id"] for o in found}
    pages = [p for m, p in store.requests if m == "GET" and p.endswith("/orders")]
    assert len(pages) == 1 + 3  # test_connection's, then three pages of two


@pytest.mark.django_db(transaction=True)
def test_connecting_and_disconnecting_on_the_integrations_page(client_a, store):
    from django.urls import reverse

    page = client_a.get(reverse("platform_connect", args=["woocommerce"]))
    assert page.status_code == 200
    for label in ("Consumer key", "Consumer secret", "Webhook secret"):
        assert label in page.content.decode()

    answer = client_a.post(
        reverse("platform_connect", args=["woocommerce"]),
        {
            "name": "Corner Woo",
            "shop_url": store.url,
            "backfill_days": "0",
            "credential_consumer_key": KEY,
            "credential_consumer_secret": SECRET,
            "credential_webhook_secret": "",
        },
    )

    connection = PlatformConnection.objects.get()
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert (connection.name, connection.state) == ("Corner Woo", "active")
    assert len(store.webhooks) == 2 and [s for _, s in store.pings] == [200, 200]
    assert KEY not in connection.credentials_encrypted  # stored encrypted

    client_a.post(reverse("platform_disconnect", args=[connection.pk]))

    connection.refresh_from_db()
    assert connection.state == "disconnected" and not connection.credentials_encrypted
    assert store.webhooks == {}
