"""Shopify: the documented sample verified and mapped; deliveries that are not Shopify's (no or
a wrong signature, stale, from the future, an unknown topic or address, junk) refused with
nothing written; a redelivery or a replay takes nothing in twice; an unknown SKU is an
exception until the SKU exists; cancellations and late updates; the Admin API calls (connect,
webhooks, backfill by Link header, write-back) against the fake store over real HTTP."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fulfillment.models import Order
from integrations.models import InboundWebhook, PlatformConnection, PlatformOrder
from integrations.platforms import connections, intake, receiving, shopify, writeback
from integrations.platforms.base import PlatformError, WebhookRefused
from integrations.platforms.connections import BACKFILL_JOB, connect_store, disconnect_store
from integrations.platforms.credentials import read_credentials
from integrations.platforms.shopify import ShopifyConnector
from merchant.models import Job, StockLevel
from merchant.services.jobs import run_job
from tests.factories.couriers import make_shipment
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import stock
from tests.integrations.platforms.shopify_support import (
    SECRET,
    TOKEN,
    chicago_order,
    django_headers,
    fake_shop,
    make_connection,
    sample_order,
    signed,
)


@pytest.fixture
def connection(merchant_a):
    return make_connection(merchant_a.merchant)


@pytest.fixture
def stocked(merchant_a):
    """A point in Chicago with 10 of each SKU the tests order."""
    merchant = merchant_a.merchant
    point = make_point(merchant, postal_code="60614")
    for sku in ("IPOD2008PINK", "MUG-1", "BEANS-1"):
        stock(merchant, point, make_product(merchant, sku=sku), 10)
    return point


def deliver(client, connection, topic: str, order: dict, **options):
    body, headers = signed(topic, order, **options)
    return client.post(
        receiving.webhook_url(connection).removeprefix("http://localhost:8000"),
        data=body,
        content_type="application/json",
        **django_headers(headers),
    )


def process_all() -> list[str | None]:
    ids = InboundWebhook.objects.filter(state="queued").order_by("pk").values_list("pk", flat=True)
    return [receiving.process_webhook(webhook_id=pk) for pk in ids]


# --- the documented sample ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_documented_sample_verifies_and_maps(connection):
    connector = ShopifyConnector(connection, read_credentials(connection))
    body, headers = signed("orders/create", sample_order())

    inbound = connector.verify_webhook(body, headers)
    order = connector.order_from_payload(inbound.payload)

    assert (inbound.topic, inbound.delivery_id) == (
        "order.created",
        headers["X-Shopify-Webhook-Id"],
    )
    assert (order.external_id, order.external_name) == ("820982911946154508", "#9999")
    assert order.cancelled is True and order.paid is False  # the sample is a voided test order
    assert (order.currency, order.value_minor) == ("USD", 39800)
    assert (order.shopper_name, order.shopper_email, order.shopper_phone) == (
        "Steve Shipper",
        "jon@example.com",
        "555-555-SHIP",
    )
    assert (order.line1, order.city, order.state, order.postal_code, order.country) == (
        "123 Shipping Street",
        "Shippington",
        "KY",
        "40003",
        "US",
    )
    assert [(x.sku, x.quantity, x.unit_value_minor) for x in order.lines] == [
        ("IPOD2008PINK", 1, 19900),
        ("IPOD2008PINK", 1, 19900),
    ]
    assert order.updated_at == dt.datetime(2022, 1, 1, 0, 0, tzinfo=dt.UTC)
    assert (order.delivery_kind, order.delivery_service, order.pickup_location_ref) == (
        "home",
        "",
        "",
    )  # "Generic Shipping" is the shop's own rate, not one of Nearbox's


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "kind", "service", "ref"),
    [
        ("locker:12", "locker", "", "locker:12"),
        ("shop:3", "pickup_shop", "", "shop:3"),
        ("home:rate-7-next-day", "home", "rate-7-next-day", ""),
        ("Standard", "home", "", ""),
    ],
)
def test_the_nearbox_rate_chosen_at_checkout_carries_through(connection, code, kind, service, ref):
    connector = ShopifyConnector(connection, {})
    order = connector.order_from_payload(chicago_order(code=code))
    assert (order.delivery_kind, order.delivery_service, order.pickup_location_ref) == (
        kind,
        service,
        ref,
    )


@pytest.mark.django_db
def test_lines_without_shipping_and_removed_lines_are_not_picked(connection):
    payload = chicago_order("MUG-1", "CARD-1", "BEANS-1")
    payload["line_items"][1]["gift_card"] = True
    payload["line_items"][2]["current_quantity"] = 0  # removed by an order edit
    order = ShopifyConnector(connection, {}).order_from_payload(payload)
    assert [line.sku for line in order.lines] == ["MUG-1"]


# --- refused deliveries -------------------------------------------------------------------


def _unsigned(headers):
    return {k: v for k, v in headers.items() if k != "X-Shopify-Hmac-Sha256"}


REFUSALS = {
    "unsigned": lambda body, headers: (body, _unsigned(headers)),
    "wrong signature": lambda body, headers: (
        body,
        {**headers, "X-Shopify-Hmac-Sha256": "AAAA" + headers["X-Shopify-Hmac-Sha256"][4:]},
    ),
    "body changed after signing": lambda body, headers: (body.replace(b"2001", b"2002"), headers),
    "stale": lambda body, headers: (
        body,
        {**headers, "X-Shopify-Triggered-At": "2026-01-01T00:00:00Z"},
    ),
    "from the future": lambda body, headers: (
        body,
        {
            **headers,
            "X-Shopify-Triggered-At": (timezone.now() + dt.timedelta(hours=1)).isoformat(),
        },
    ),
    "not a time": lambda body, headers: (body, {**headers, "X-Shopify-Triggered-At": "soon"}),
    "a topic never subscribed": lambda body, headers: (
        body,
        {**headers, "X-Shopify-Topic": "customers/create"},
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("how", REFUSALS)
def test_a_delivery_that_is_not_shopifys_is_refused_and_nothing_is_written(client, connection, how):
    body, headers = signed("orders/create", chicago_order("MUG-1"))
    body, headers = REFUSALS[how](body, headers)
    response = client.post(
        f"/webhooks/platforms/{connection.webhook_token}",
        data=body,
        content_type="application/json",
        **django_headers(headers),
    )
    assert response.status_code == 401, response.content
    assert response.json()["code"] == "refused"
    assert not InboundWebhook.objects.exists()
    assert not PlatformOrder.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2, 3]",
        b'{"a":' * 40 + b"1" + b"}" * 40,
        b"\xff\xfe\x00binary",
        b"{}",
    ],
    ids=["text", "a list", "deep", "binary", "an empty object"],
)
def test_signed_junk_is_refused_or_stored_harmlessly_never_a_500(client, connection, body):
    _, headers = signed("orders/create", {})
    headers["X-Shopify-Hmac-Sha256"] = shopify_sign(body)
    response = client.post(
        f"/webhooks/platforms/{connection.webhook_token}",
        data=body,
        content_type="application/json",
        **django_headers(headers),
    )
    assert response.status_code in (200, 401), response.content
    assert process_all() in ([], ["ignored"])  # "{}" is stored, then ignored: no order id
    assert not PlatformOrder.objects.exists()
    assert not Order.objects.exists()


def shopify_sign(body: bytes) -> str:
    from devtools.fake_platforms.shopify import sign

    return sign(body, SECRET)


@pytest.mark.django_db
def test_hostile_text_in_a_signed_order_is_stored_legibly_and_becomes_an_exception(
    client, connection, stocked
):
    order = chicago_order("MUG-1")
    order["shipping_address"]["name"] = "Ada \x00<script>alert(1)</script>\ud800"
    order["shipping_address"]["zip"] = "6" * 5000
    order["name"] = "#1\x00"
    body = json.dumps(order).encode()  # \ud800 is a lone surrogate, escaped by json.dumps
    _, headers = signed("orders/create", {})
    headers["X-Shopify-Hmac-Sha256"] = shopify_sign(body)

    response = client.post(
        f"/webhooks/platforms/{connection.webhook_token}",
        data=body,
        content_type="application/json",
        **django_headers(headers),
    )

    assert response.status_code == 200
    assert process_all() == ["done"]
    platform_order = PlatformOrder.objects.get()
    assert platform_order.state == "exception"
    assert "\x00" not in platform_order.payload["shipping_address"]["name"]
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_an_unknown_address_or_a_disconnected_store_is_404(client, connection):
    body, headers = signed("orders/create", chicago_order("MUG-1"))
    unknown = client.post(
        "/webhooks/platforms/not-a-token", data=body, content_type="application/json",
        **django_headers(headers),
    )  # fmt: skip
    disconnect_store(connection=connection)
    gone = deliver(client, connection, "orders/create", chicago_order("MUG-1"))
    assert (unknown.status_code, gone.status_code) == (404, 404)
    assert not InboundWebhook.objects.exists()


# --- once and only once -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_redelivery_and_a_replay_take_nothing_in_twice(client, connection, stocked):
    order = chicago_order("MUG-1", "BEANS-1")
    first = deliver(client, connection, "orders/create", order, webhook_id="wh-1")
    again = deliver(client, connection, "orders/create", order, webhook_id="wh-1")
    assert (first.json(), again.json()) == (
        {"ok": True, "duplicate": False},
        {"ok": True, "duplicate": True},
    )
    assert InboundWebhook.objects.count() == 1

    # The same signed body under a new webhook id (a replay with a forged id, or orders/updated
    # fired together with orders/create): stored, but the order is taken in once.
    deliver(client, connection, "orders/create", order, webhook_id="wh-2")
    deliver(client, connection, "orders/updated", order, webhook_id="wh-3")
    assert process_all() == ["done", "done", "done"]
    assert Order.objects.count() == 1
    assert PlatformOrder.objects.get().order.reference == order["name"]
    # Stock was reserved once: 10 - 1 of each.
    assert sorted(StockLevel.objects.values_list("reserved", flat=True)) == [0, 1, 1]


@pytest.mark.django_db
def test_processing_a_delivery_twice_does_nothing_more(client, connection, stocked):
    deliver(client, connection, "orders/create", chicago_order("MUG-1"))
    webhook = InboundWebhook.objects.get()
    assert receiving.process_webhook(webhook_id=webhook.pk) == "done"
    assert receiving.process_webhook(webhook_id=webhook.pk) is None
    webhook.refresh_from_db()
    assert (webhook.state, webhook.attempts, Order.objects.count()) == ("done", 1, 1)


# --- intake rules -------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unknown_sku_is_an_exception_until_the_sku_exists(client, connection, stocked):
    order = chicago_order("MUG-1", "NEW-TEA-9")
    deliver(client, connection, "orders/create", order)
    assert process_all() == ["done"]

    platform_order = PlatformOrder.objects.get()
    assert platform_order.state == "exception"
    assert platform_order.problem == "Unknown SKU “NEW-TEA-9”."
    assert platform_order.order is None and not Order.objects.exists()

    stock(connection.merchant, stocked, make_product(connection.merchant, sku="NEW-TEA-9"), 3)
    done = intake.take_in_again(platform_order=platform_order)

    platform_order.refresh_from_db()
    assert done.outcome == "created"
    assert (platform_order.state, platform_order.problem) == ("imported", "")
    assert platform_order.order.source == "shopify"
    assert sorted(platform_order.order.lines.values_list("product__sku", flat=True)) == [
        "MUG-1",
        "NEW-TEA-9",
    ]


@pytest.mark.django_db
def test_a_cancellation_cancels_our_order_and_gives_the_stock_back(client, connection, stocked):
    order = chicago_order("MUG-1")
    deliver(client, connection, "orders/create", order)
    cancelled = {**order, "cancelled_at": "2026-12-05T11:00:00-06:00"}
    cancelled["updated_at"] = "2026-12-05T11:00:00-06:00"
    deliver(client, connection, "orders/cancelled", cancelled)

    assert process_all() == ["done", "done"]
    platform_order = PlatformOrder.objects.select_related("order").get()
    assert platform_order.state == "cancelled"
    assert platform_order.order.status == Order.Status.CANCELLED
    assert set(StockLevel.objects.values_list("reserved", flat=True)) == {0}


@pytest.mark.django_db
def test_an_older_version_never_overwrites_a_newer_one(client, connection, stocked):
    newer = chicago_order("MUG-1", updated_at="2026-12-05T12:00:00-06:00")
    older = {**newer, "cancelled_at": "2026-12-05T09:00:00-06:00"}
    older["updated_at"] = "2026-12-05T09:00:00-06:00"
    deliver(client, connection, "orders/create", newer)
    deliver(client, connection, "orders/updated", older)  # arrives late

    assert process_all() == ["done", "ignored"]
    platform_order = PlatformOrder.objects.get()
    assert platform_order.state == "imported"
    assert platform_order.external_updated_at == dt.datetime(2026, 12, 5, 18, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_an_unpaid_order_waits_for_its_payment(client, connection, stocked):
    order = chicago_order("MUG-1", financial_status="pending")
    deliver(client, connection, "orders/create", order)
    assert process_all() == ["ignored"]
    assert InboundWebhook.objects.get().error == "Not paid yet: taken in once it is paid."
    assert not PlatformOrder.objects.exists()

    paid = {**order, "financial_status": "paid", "updated_at": "2026-12-05T10:05:00-06:00"}
    deliver(client, connection, "orders/updated", paid)
    assert process_all() == ["done"]
    assert PlatformOrder.objects.get().state == "imported"


@pytest.mark.django_db
def test_an_address_changed_in_shopify_reaches_the_order_before_it_ships(
    client, connection, stocked
):
    order = chicago_order("MUG-1")
    deliver(client, connection, "orders/create", order)
    moved = json.loads(json.dumps(order))
    moved["shipping_address"]["address1"] = "2100 N Lincoln Ave"
    moved["updated_at"] = "2026-12-05T10:30:00-06:00"
    deliver(client, connection, "orders/updated", moved)
    assert process_all() == ["done", "done"]
    assert Order.objects.get().line1 == "2100 N Lincoln Ave"


@pytest.mark.django_db
def test_two_stores_with_the_same_order_number_both_come_in(merchant_a, client, stocked):
    first = make_connection(merchant_a.merchant, "https://one.myshopify.com")
    second = make_connection(merchant_a.merchant, "https://two.myshopify.com")
    deliver(client, first, "orders/create", chicago_order("MUG-1", name="#1001"))
    deliver(client, second, "orders/create", chicago_order("MUG-1", name="#1001"))
    assert process_all() == ["done", "done"]
    assert sorted(Order.objects.values_list("reference", flat=True)) == [
        "#1001",
        f"#1001 (shopify {second.pk})",
    ]


# --- the Admin API against the fake store -------------------------------------------------


@pytest.fixture
def store(settings):
    settings.NEARBOX_PLATFORMS_ALLOW_LOOPBACK = True
    fake = fake_shop()
    with fake.serving():
        yield fake


@pytest.mark.django_db
def test_connecting_registers_the_three_webhooks_and_disconnecting_removes_them(merchant_a, store):
    connection, job = connect_store(
        merchant=merchant_a.merchant,
        platform="shopify",
        shop_url=store.base_url,
        credentials={"access_token": TOKEN, "app_secret": SECRET},
    )

    assert job is None and connection.state == "active"
    hooks = sorted((w["topic"], w["address"]) for w in store.webhooks.values())
    url = receiving.webhook_url(connection)
    assert hooks == [("orders/cancelled", url), ("orders/create", url), ("orders/updated", url)]
    assert sorted(connection.settings["webhook_ids"]) == sorted(w[0] for w in hooks)
    assert connections.test_store(connection=connection) == (
        True,
        "Connected to Fake Store (fake-store.myshopify.com).",
    )
    assert connection.credentials_encrypted and TOKEN not in connection.credentials_encrypted

    disconnect_store(connection=connection)
    connection.refresh_from_db()
    assert store.webhooks == {}
    assert (connection.state, connection.credentials_encrypted) == ("disconnected", "")


@pytest.mark.django_db
def test_a_refused_token_connects_nothing(merchant_a, store):
    with pytest.raises(ValidationError) as refused:
        connect_store(
            merchant=merchant_a.merchant,
            platform="shopify",
            shop_url=store.base_url,
            credentials={"access_token": "shpat_wrong", "app_secret": SECRET},
        )
    assert "refused the Admin API access token (401)" in str(refused.value)
    assert not PlatformConnection.objects.exists()
    assert store.webhooks == {}


@pytest.mark.django_db
def test_a_failure_halfway_through_connecting_leaves_no_webhook_and_no_store(merchant_a, store):
    store.fail_next = [None, None, 500]  # shop.json, the first webhook, then Shopify fails
    with pytest.raises(ValidationError, match="Not connected: Shopify answered 500"):
        connect_store(
            merchant=merchant_a.merchant,
            platform="shopify",
            shop_url=store.base_url,
            credentials={"access_token": TOKEN, "app_secret": SECRET},
        )
    assert store.webhooks == {}  # the one registered was removed again
    assert [m for m, _ in store.requests].count("DELETE") == 1
    assert not PlatformConnection.objects.exists()


@pytest.mark.django_db
def test_a_store_other_than_myshopify_is_not_accepted(merchant_a, settings):
    settings.NEARBOX_PLATFORMS_ALLOW_LOOPBACK = False
    for address in (
        "http://127.0.0.1:9",
        "https://evil.example.com",
        "http://x.myshopify.com.evil",
    ):
        with pytest.raises(ValidationError):
            connect_store(
                merchant=merchant_a.merchant, platform="shopify", shop_url=address,
                credentials={"access_token": TOKEN, "app_secret": SECRET},
            )  # fmt: skip
    assert ShopifyConnector.normalize_shop_url("My-Store") == "https://my-store.myshopify.com"


@pytest.mark.django_db
def test_the_backfill_job_takes_in_the_open_orders_page_by_page(
    merchant_a, store, stocked, monkeypatch
):
    monkeypatch.setattr(shopify, "PAGE_LIMIT", 2)  # five orders: three pages
    recent = timezone.now().isoformat()
    for sku in ("MUG-1", "BEANS-1", "MUG-1", "NOPE-1", "BEANS-1"):
        store.add_order(chicago_order(sku, created_at=recent))
    store.add_order(chicago_order("MUG-1", created_at="2020-01-01T00:00:00Z"))  # too old
    store.add_order(chicago_order("MUG-1", created_at=recent, cancelled_at=recent))  # not open

    connection, job = connect_store(
        merchant=merchant_a.merchant,
        platform="shopify",
        shop_url=store.base_url,
        credentials={"access_token": TOKEN, "app_secret": SECRET},
        backfill_days=7,
    )
    assert job.kind == BACKFILL_JOB
    job = run_job(job.pk)

    assert job.state == Job.State.SUCCEEDED, job.error
    assert (job.result["created"], job.result["exception"], job.done) == (4, 1, 5)
    assert job.message == "4 orders in Nearbox, 1 need attention"
    assert [q.get("page_info") is not None for _, q in _order_pages(store)] == [False, True, True]
    assert PlatformOrder.objects.filter(connection=connection).count() == 5

    job = run_job(
        Job.objects.create(merchant=merchant_a.merchant, kind=BACKFILL_JOB, params=job.params).pk
    )
    assert (job.result["created"], job.result["updated"]) == (0, 4)  # run again: nothing new
    assert Order.objects.count() == 4


def _order_pages(store):
    from urllib.parse import parse_qs, urlsplit

    return [
        (path, {k: v[-1] for k, v in parse_qs(urlsplit(path).query).items()})
        for method, path in store.requests
        if method == "GET" and "/orders.json" in path
    ]


@pytest.mark.django_db
def test_a_next_page_on_another_host_is_refused(connection, monkeypatch):
    connector = ShopifyConnector(connection, {})
    with pytest.raises(PlatformError, match="another host"):
        connector._next_page(
            '<https://evil.example.com/admin/api/orders.json?page_info=x>; rel="next"'
        )
    assert connector._next_page('<https://fake-store.myshopify.com/x>; rel="previous"') is None


@pytest.mark.django_db
def test_write_back_creates_one_fulfilment_then_events(merchant_a, store, stocked):
    connection, _ = connect_store(
        merchant=merchant_a.merchant,
        platform="shopify",
        shop_url=store.base_url,
        credentials={"access_token": TOKEN, "app_secret": SECRET},
    )
    payload = store.add_order(chicago_order("MUG-1"))
    platform_order = intake.take_in(connection=connection, payload=payload).platform_order
    shipment = make_shipment(
        connection.merchant,
        order=platform_order.order,
        tracking_number="SBX123",
        status="info_received",
    )

    first = writeback.push(platform_order_id=platform_order.pk, shipment_id=shipment.pk)
    again = writeback.push(platform_order_id=platform_order.pk, shipment_id=shipment.pk)
    shipment.status = "delivered"
    shipment.save(update_fields=["status"])
    store.fail_next = [503]
    with pytest.raises(PlatformError) as failed:
        writeback.push(platform_order_id=platform_order.pk, shipment_id=shipment.pk)
    assert failed.value.transient
    last = writeback.push(platform_order_id=platform_order.pk, shipment_id=shipment.pk)

    [fulfillment] = store.fulfillments_of(payload["id"])
    assert again is None  # nothing new to write
    assert (first["id"], last["id"]) == (fulfillment["id"], fulfillment["id"])
    assert fulfillment["tracking_number"] == "SBX123"
    assert fulfillment["tracking_url"].endswith(f"/t/{shipment.public_token}/")
    assert fulfillment["notify_customer"] is True
    assert [e["status"] for e in fulfillment["events"]] == ["confirmed", "delivered"]
    platform_order.refresh_from_db()
    assert platform_order.fulfillments[str(shipment.pk)]["status"] == "delivered"


@pytest.mark.django_db
def test_a_fulfilment_made_whose_answer_was_lost_is_found_not_lost(merchant_a, store, stocked):
    """Shopify made the fulfilment but its answer did not arrive: the retry finds it by the
    tracking number (its fulfilment order is closed now, nothing is left to fulfil) and goes
    on with its events, instead of failing for good with no fulfilment id kept."""
    connection, _ = connect_store(
        merchant=merchant_a.merchant,
        platform="shopify",
        shop_url=store.base_url,
        credentials={"access_token": TOKEN, "app_secret": SECRET},
    )
    payload = store.add_order(chicago_order("MUG-1"))
    platform_order = intake.take_in(connection=connection, payload=payload).platform_order
    shipment = make_shipment(
        connection.merchant,
        order=platform_order.order,
        tracking_number="SBX124",
        status="info_received",
    )
    store.lose_answer_of = ["fulfillments.json"]
    with pytest.raises(PlatformError) as failed:
        writeback.push(platform_order_id=platform_order.pk, shipment_id=shipment.pk)
    assert failed.value.transient

    entry = writeback.push(platform_order_id=platform_order.pk, shipment_id=shipment.pk)

    [fulfillment] = store.fulfillments_of(payload["id"])
    assert entry["id"] == fulfillment["id"]
    assert [e["status"] for e in fulfillment["events"]] == ["confirmed"]
    platform_order.refresh_from_db()
    assert platform_order.fulfillments[str(shipment.pk)]["id"] == fulfillment["id"]


def test_verify_refuses_without_a_stored_secret():
    connector = ShopifyConnector(PlatformConnection(shop_url="https://x.myshopify.com"), {})
    body, headers = signed("orders/create", {"id": 1})
    with pytest.raises(WebhookRefused, match="secret"):
        connector.verify_webhook(body, headers)


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_one_order_taken_in_at_the_same_moment_make_one_order(merchant_a):
    """orders/create and orders/updated processed by two worker processes at once: the
    PlatformOrder row (INSERT … ON CONFLICT DO NOTHING, then locked) lets one create the order."""
    import threading

    from django.db import connection as db

    merchant = merchant_a.merchant
    point = make_point(merchant, postal_code="60614")
    stock(merchant, point, make_product(merchant, sku="MUG-1"), 10)
    store = make_connection(merchant)
    payload = chicago_order("MUG-1")
    start, outcomes = threading.Barrier(2), []

    def take() -> None:
        try:
            start.wait()
            outcomes.append(intake.take_in(connection=store, payload=payload).outcome)
        finally:
            db.close()

    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["created", "updated"]
    assert Order.objects.count() == 1 and PlatformOrder.objects.count() == 1
    assert StockLevel.objects.get().reserved == 1


@pytest.mark.django_db
def test_a_status_change_of_a_merchant_without_a_store_costs_no_query(
    merchant_a, merchant_b, django_assert_num_queries
):
    from fulfillment.tracking.signals import shipment_status_changed

    make_connection(merchant_b.merchant)  # another shop has a store: the set is not empty
    shipment = make_shipment(merchant_a.merchant)
    change = {"shipment_id": shipment.pk, "old_status": "in_transit", "new_status": "delivered"}
    assert writeback.merchants_with_stores() == {merchant_b.merchant.pk}  # saving renewed it
    with django_assert_num_queries(0):
        writeback.on_shipment_status_changed(None, merchant_id=merchant_a.merchant.pk, **change)
    with django_assert_num_queries(1):  # the shipment's order has no platform order: one look
        writeback.on_shipment_status_changed(None, merchant_id=merchant_b.merchant.pk, **change)
    assert shipment_status_changed.has_listeners()


@pytest.mark.django_db
def test_a_delivery_that_breaks_its_connector_fails_once_instead_of_looping(
    client, connection, monkeypatch
):
    from integrations.platforms.tasks import process_inbound_webhook

    deliver(client, connection, "orders/create", chicago_order("MUG-1"))
    webhook = InboundWebhook.objects.get()

    def broken(self, payload):
        raise KeyError("line_items")

    monkeypatch.setattr(ShopifyConnector, "order_from_payload", broken)
    process_inbound_webhook(webhook.pk)  # the task's body, run here

    webhook.refresh_from_db()
    assert webhook.state == "failed"
    assert webhook.error == "Could not be processed: KeyError('line_items')"
    assert receiving.queued_too_long(older_than=dt.timedelta(0)) == []  # beat leaves it


@pytest.mark.django_db
def test_a_locker_chosen_at_shopify_checkout_becomes_a_locker_order(client, connection, stocked):
    from tests.factories.lockers import make_bank, make_shop

    bank, shop = make_bank(connection.merchant), make_shop(connection.merchant)
    deliver(client, connection, "orders/create", chicago_order("MUG-1", code=bank.pickup_ref))
    deliver(client, connection, "orders/create", chicago_order("BEANS-1", code=shop.pickup_ref))
    assert process_all() == ["done", "done"]

    orders = Order.objects.order_by("pk")
    assert [(o.delivery_kind, o.pickup_location_ref) for o in orders] == [
        ("locker", f"locker:{bank.pk}"),
        ("pickup_shop", f"shop:{shop.pk}"),
    ]
