"""WooCommerce: the documented order and webhook delivery verified and mapped; refused
deliveries (unsigned, wrong signature, another secret, unsubscribed topic, not JSON) write
nothing; a replayed delivery creates nothing new; the ping of a new webhook is answered 200
and stored nowhere. Samples: tests/fixtures/woocommerce (SOURCE.md)."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import hmac
import json
import secrets
from pathlib import Path

import pytest
from django.urls import reverse

from integrations.models import InboundWebhook, PlatformConnection, PlatformOrder
from integrations.platforms import receiving
from integrations.platforms.base import PayloadInvalid, WebhookRefused
from integrations.platforms.credentials import store_credentials
from integrations.platforms.woocommerce import (
    WebhookPing,
    WooCommerceConnector,
    oauth1_signature,
)
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import stock

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "woocommerce"
CREDENTIALS = {"consumer_key": "ck_test_0123456789", "consumer_secret": "cs_test_0123456789"}


def documented_order() -> dict:
    return json.loads((FIXTURES / "order_727.json").read_text())


def documented_headers() -> dict[str, str]:
    return json.loads((FIXTURES / "webhook_delivery_headers.json").read_text())


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def chicago_order(skus: tuple[str, str], rate: str | None = None) -> dict:
    """The documented order with the test merchant's SKUs, a Chicago address, and (when
    `rate` is given) Nearbox's shipping method with the chosen rate in its meta."""
    order = documented_order()
    for line, sku in zip(order["line_items"], skus, strict=True):
        line["sku"] = sku
    for address in (order["billing"], order["shipping"]):
        address.update(address_1="2001 N Clark St", city="Chicago", state="IL", postcode="60614")
    if rate is not None:
        order["shipping_lines"][0].update(
            method_id="nearbox",
            method_title="Nearbox",
            meta_data=[{"id": 1, "key": "nearbox_rate", "value": rate}],
        )
    return order


@pytest.fixture
def connection(merchant_a) -> PlatformConnection:
    made = PlatformConnection(
        merchant=merchant_a.merchant,
        platform="woocommerce",
        name="Woo",
        shop_url="https://shop.example.com",
        webhook_token=secrets.token_urlsafe(32),
        state=PlatformConnection.State.ACTIVE,
    )
    store_credentials(made, CREDENTIALS)
    made.save()
    return made


@pytest.fixture
def connector(connection) -> WooCommerceConnector:
    return WooCommerceConnector(connection, CREDENTIALS)


class Headers(dict):
    """Header names in any case, as Django's request.headers gives them to the connector."""

    def get(self, name, default=None):
        return next((v for k, v in self.items() if k.lower() == name.lower()), default)


def delivery(connector, body: bytes, **overrides: str) -> Headers:
    headers = {
        **documented_headers(),
        "x-wc-webhook-signature": sign(connector.webhook_secret(), body),
        "x-wc-webhook-delivery-id": secrets.token_hex(16),
    }
    headers.update({k.replace("_", "-"): v for k, v in overrides.items()})
    return Headers(headers)


def as_request_headers(headers: dict[str, str]) -> dict[str, str]:
    """Django's test client takes headers as HTTP_* keys."""
    return {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}


# --- mapping --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_documented_order_maps_to_a_paid_home_order(connector):
    order = connector.order_from_payload(documented_order())

    assert (order.external_id, order.external_name) == ("727", "#727")
    assert order.updated_at == dt.datetime(2017, 3, 22, 19, 28, 8, tzinfo=dt.UTC)
    assert (order.currency, order.value_minor, order.paid, order.cancelled) == (
        "USD",
        2935,
        True,
        False,
    )
    assert (order.shopper_name, order.shopper_email, order.shopper_phone) == (
        "John Doe",
        "john.doe@example.com",
        "(555) 555-5555",
    )
    assert (order.line1, order.city, order.state, order.postal_code, order.country) == (
        "969 Market",
        "San Francisco",
        "CA",
        "94103",
        "US",
    )
    assert [(x.sku, x.quantity, x.unit_value_minor) for x in order.lines] == [
        ("", 2, 300),
        ("Bar3", 1, 1200),
    ]
    # The documented flat rate is the shop's own shipping: home, the service left to our rules.
    assert (order.delivery_kind, order.delivery_service, order.pickup_location_ref) == (
        "home",
        "",
        "",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        ("home:sandbox-next-day-12", ("home", "sandbox-next-day-12", "")),
        ("locker:12", ("locker", "", "locker:12")),
        ("shop:3", ("pickup_shop", "", "shop:3")),
        ("something-else", ("home", "", "")),
    ],
)
def test_nearbox_shipping_line_carries_the_checkout_choice(connector, rate, expected):
    order = connector.order_from_payload(chicago_order(("A", "B"), rate=rate))
    assert (order.delivery_kind, order.delivery_service, order.pickup_location_ref) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "paid", "cancelled"),
    [
        ("processing", True, False),
        ("completed", True, False),
        ("on-hold", False, False),
        ("pending", False, False),
        ("failed", False, False),
        ("cancelled", False, True),
        ("refunded", False, True),
    ],
)
def test_order_status_decides_paid_and_cancelled(connector, status, paid, cancelled):
    payload = {**documented_order(), "status": status}
    order = connector.order_from_payload(payload)
    assert (order.paid, order.cancelled) == (paid, cancelled)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"id": None}, "no id"),
        ({"id": -4}, "positive number"),
        ({"id": True}, "no id"),
        ({"id": "727; DROP"}, "positive number"),
        ({"currency": ""}, "currency"),
        ({"total": "NaN"}, "amount"),
        ({"total": "1e400"}, "amount"),
        ({"total": [1]}, "amount"),
        ({"line_items": []}, "no line items"),
        ({"line_items": [{"sku": "A", "quantity": "2"}]}, "whole quantity"),
        ({"line_items": [{"sku": "A", "quantity": True}]}, "whole quantity"),
        ({"line_items": [{"sku": "A", "quantity": 10**9, "price": 1}]}, "quantity above"),
        ({"line_items": ["A"]}, "not an object"),
        ({"shipping": ["not", "an", "object"]}, "shipping address"),
        ({"date_modified_gmt": "0001-01-01T00:00:00"}, "1900"),
        ({"date_modified_gmt": "yesterday"}, "not a date"),
        ({"number": "9" * 200}, "longer than"),
    ],
)
def test_an_order_that_cannot_be_read_says_why(connector, change, words):
    payload = {**documented_order(), **change}
    with pytest.raises(PayloadInvalid) as refused:
        connector.order_from_payload(payload)
    assert words in refused.value.reason


@pytest.mark.django_db
def test_texts_lose_nul_and_lone_surrogates_and_keep_markup(connector):
    payload = documented_order()
    payload["shipping"]["first_name"] = "Jo\x00hn\ud800"
    payload["shipping"]["address_1"] = "<script>alert(1)</script>"
    order = connector.order_from_payload(payload)
    assert order.shopper_name == "John? Doe"
    assert order.line1 == "<script>alert(1)</script>"  # escaped where it is shown, not here


# --- verification ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_documented_delivery_verifies_with_its_headers(connector):
    body = json.dumps(documented_order()).encode()
    headers = delivery(connector, body)

    inbound = connector.verify_webhook(body, headers)

    assert inbound.delivery_id == headers["x-wc-webhook-delivery-id"]
    assert inbound.topic == "order.created"
    assert inbound.payload == documented_order()


@pytest.mark.django_db
def test_an_update_to_cancelled_is_the_cancelled_topic(connector):
    body = json.dumps({**documented_order(), "status": "cancelled"}).encode()
    inbound = connector.verify_webhook(
        body, delivery(connector, body, **{"x-wc-webhook-topic": "order.updated"})
    )
    assert inbound.topic == "order.cancelled"


@pytest.mark.django_db
def test_the_webhook_secret_is_the_merchants_when_given_else_our_own(connection):
    derived = WooCommerceConnector(connection, CREDENTIALS).webhook_secret()
    assert derived and derived != CREDENTIALS["consumer_secret"]
    # The same connection derives the same secret; another connection another.
    assert WooCommerceConnector(connection, CREDENTIALS).webhook_secret() == derived
    other = copy.copy(connection)
    other.webhook_token = "another-token"
    assert WooCommerceConnector(other, CREDENTIALS).webhook_secret() != derived
    given = {**CREDENTIALS, "webhook_secret": "made by hand"}
    assert WooCommerceConnector(connection, given).webhook_secret() == "made by hand"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (
            lambda body, h: (body, Headers({k: v for k, v in h.items() if "signature" not in k})),
            "no X-WC",
        ),
        (
            lambda body, h: (body, Headers({**h, "x-wc-webhook-signature": "AAAA"})),
            "does not match",
        ),
        (lambda body, h: (body + b" ", h), "does not match"),
        (
            lambda body, h: (
                body,
                Headers({**h, "x-wc-webhook-signature": sign("other secret", body)}),
            ),
            "does not match",
        ),
        (
            lambda body, h: (body, Headers({**h, "x-wc-webhook-signature": "é" * 40})),
            "does not match",
        ),
    ],
    ids=["unsigned", "garbage", "body changed", "another secret", "not ascii"],
)
def test_a_delivery_that_is_not_signed_by_the_store_is_refused(connector, tamper, reason):
    body = json.dumps(documented_order()).encode()
    body, headers = tamper(body, delivery(connector, body))
    with pytest.raises(WebhookRefused) as refused:
        connector.verify_webhook(body, headers)
    assert reason in refused.value.reason
    assert not isinstance(refused.value, WebhookPing)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "topic", "reason"),
    [
        (json.dumps(documented_order()).encode(), "product.created", "did not subscribe"),
        (b"not json", "order.created", "not JSON"),
        (b"[1, 2]", "order.created", "not a JSON object"),
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, "order.created", "JSON"),
        (b'{"a":' * 100 + b"1" + b"}" * 100, "order.created", "nested too deeply"),
    ],
    ids=["unsubscribed topic", "not json", "a list", "deep beyond the parser", "deep"],
)
def test_a_signed_delivery_we_cannot_use_is_refused(connector, body, topic, reason):
    headers = delivery(connector, body, **{"x-wc-webhook-topic": topic})
    with pytest.raises(WebhookRefused) as refused:
        connector.verify_webhook(body, headers)
    assert reason in refused.value.reason


@pytest.mark.django_db
def test_a_delivery_without_an_id_is_known_by_its_body(connector):
    body = json.dumps(documented_order()).encode()
    headers = delivery(connector, body)
    del headers["x-wc-webhook-delivery-id"]
    inbound = connector.verify_webhook(body, headers)
    assert inbound.delivery_id == "sha256:" + hashlib.sha256(body).hexdigest()


@pytest.mark.django_db
def test_the_ping_of_a_new_webhook_is_recognised(connector):
    with pytest.raises(WebhookPing) as ping:
        connector.verify_webhook(b"webhook_id=142", Headers({"user-agent": "WooCommerce/9.4"}))
    assert ping.value.answer_status == 200


# --- the receiving endpoint: nothing written for a refused delivery, once for a replay -------


def post(client, connection, body: bytes, headers: dict[str, str]):
    return client.post(
        reverse("platform_webhook", args=[connection.webhook_token]),
        data=body,
        content_type=headers.get("content-type", "application/json"),
        **as_request_headers({k: v for k, v in headers.items() if k != "content-type"}),
    )


@pytest.mark.django_db
def test_refused_deliveries_write_nothing_and_a_replay_creates_nothing_new(client, connector):
    connection = connector.connection
    body = json.dumps(documented_order()).encode()
    headers = delivery(connector, body)

    unsigned = {k: v for k, v in headers.items() if "signature" not in k}
    wrong = {**headers, "x-wc-webhook-signature": sign("guess", body)}
    assert post(client, connection, body, unsigned).status_code == 401
    assert post(client, connection, body, wrong).status_code == 401
    assert not InboundWebhook.objects.exists()

    first = post(client, connection, body, headers)
    replay = post(client, connection, body, headers)

    assert (first.status_code, first.json()["duplicate"]) == (200, False)
    assert (replay.status_code, replay.json()["duplicate"]) == (200, True)
    stored = InboundWebhook.objects.get()
    assert (stored.delivery_id, stored.topic) == (
        headers["x-wc-webhook-delivery-id"],
        "order.created",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"id": 1, "note": "a\\u0000b\\ud800c", "<b>": "<script>"}', 200),
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, 401),
        (b"\xff\xfe\x00binary", 401),
        (b'{"id": ' + b"9" * 5000 + b"}", 401),  # beyond Python's 4,300 digits: not JSON
        (b'{"id": ' + b"9" * 300 + b"}", 200),
    ],
    ids=["nul and surrogate", "deep", "binary", "huge number", "big number"],
)
def test_hostile_signed_bodies_are_stored_clean_or_refused_never_a_500(
    client, connector, body, status
):
    answer = post(client, connector.connection, body, delivery(connector, body))
    assert answer.status_code == status
    if status == 200:
        stored = InboundWebhook.objects.get().payload
        assert "\x00" not in json.dumps(stored) and "\\u0000" not in json.dumps(stored)
    else:
        assert not InboundWebhook.objects.exists()


@pytest.mark.django_db
def test_the_ping_is_answered_200_and_stored_nowhere(client, connector):
    answer = post(
        client,
        connector.connection,
        b"webhook_id=142",
        {"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    assert not InboundWebhook.objects.exists()


@pytest.mark.django_db
def test_two_deliveries_of_one_order_make_one_nearbox_order(client, connector, merchant_a):
    merchant = merchant_a.merchant
    point = make_point(merchant, postal_code="60614")
    for sku in ("MUG", "BEANS"):
        stock(merchant, point, make_product(merchant, sku=sku), 10)
    body = json.dumps(chicago_order(("MUG", "BEANS"))).encode()
    # WooCommerce fires order.created and, as the payment lands, order.updated: two deliveries.
    for topic in ("order.created", "order.updated"):
        headers = delivery(connector, body, **{"x-wc-webhook-topic": topic})
        assert post(client, connector.connection, body, headers).status_code == 200

    for webhook in InboundWebhook.objects.order_by("pk"):
        receiving.process_webhook(webhook_id=webhook.pk)

    taken = PlatformOrder.objects.get()
    assert taken.state == PlatformOrder.State.IMPORTED, taken.problem
    assert taken.order.reference == "#727"
    assert taken.order.source == "woocommerce"
    assert sorted(line.product.sku for line in taken.order.lines.all()) == ["BEANS", "MUG"]
    assert list(InboundWebhook.objects.values_list("state", flat=True).distinct()) != ["queued"]


@pytest.mark.django_db
def test_an_unknown_sku_is_an_exception_with_the_reason(client, connector, merchant_a):
    body = json.dumps(chicago_order(("NOPE-1", "NOPE-2"))).encode()
    assert post(client, connector.connection, body, delivery(connector, body)).status_code == 200

    receiving.process_webhook(webhook_id=InboundWebhook.objects.get().pk)

    taken = PlatformOrder.objects.get()
    assert taken.state == PlatformOrder.State.EXCEPTION and taken.order is None
    assert "NOPE-1" in taken.problem


def test_oauth_signature_follows_rfc_5849_with_hmac_sha256():
    # RFC 5849 section 3.4.1 builds the base string from the encoded, sorted parameters; the
    # key is the consumer secret and "&" (no token secret in the one-legged flow).
    params = {
        "oauth_consumer_key": "ck_x",
        "oauth_timestamp": "1700000000",
        "oauth_nonce": "n1",
        "oauth_signature_method": "HMAC-SHA256",
        "after": "2017-03-22T19:28:08",
    }
    base = (
        "GET&http%3A%2F%2Fshop.test%2Fwp-json%2Fwc%2Fv3%2Forders&"
        "after%3D2017-03-22T19%253A28%253A08%26oauth_consumer_key%3Dck_x%26oauth_nonce%3Dn1"
        "%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1700000000"
    )
    expected = base64.b64encode(hmac.new(b"cs_y&", base.encode(), hashlib.sha256).digest())
    signed = oauth1_signature("GET", "http://shop.test/wp-json/wc/v3/orders", params, "cs_y")
    assert signed == expected.decode()
