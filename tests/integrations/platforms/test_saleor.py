"""Saleor: the documented samples mapped, webhook signatures (JWS with the shop's JWKS, the
deprecated HMAC only where configured) refused without a trace, the manifest, and the
synchronous shipping webhooks answered from the same delivery options as the widget's API."""

from __future__ import annotations

import base64
import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from devtools.fake_platforms.saleor import FakeSaleor, issued_now, method_id, new_key, sign
from integrations.models import InboundWebhook, PlatformConnection, PlatformOrder
from integrations.platforms.base import PayloadInvalid, PlatformError
from integrations.platforms.saleor import SaleorConnector, mapping
from tests.factories.lockers import make_bank
from tests.integrations.platforms.saleor_support import (
    chicago_checkout,
    connect,
    fresh_counters_fixture,  # noqa: F401 — the `fresh_counters` fixture
    network_fixture,  # noqa: F401 — the `network` fixture
    order_created,
    sample,
    shop_fixture,  # noqa: F401 — the `shop` fixture
)

LIST = "SHIPPING_LIST_METHODS_FOR_CHECKOUT"
FILTER = "CHECKOUT_FILTER_SHIPPING_METHODS"


def deliver(connection, shop: FakeSaleor, body: bytes, headers: dict | None = None):
    """POST an ORDER_CREATED body to the shared receiving endpoint, signed unless told."""
    sent = headers if headers is not None else shop.headers_for("ORDER_CREATED", body)
    sent = {k: v for k, v in sent.items() if k != "Content-Type"}
    return Client().post(
        f"/webhooks/platforms/{connection.webhook_token}",
        data=body,
        content_type="application/json",
        headers=sent,
    )


def sync(connection, shop: FakeSaleor, event: str, payload, headers: dict | None = None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    sent = headers if headers is not None else shop.headers_for(event, body)
    sent = {k: v for k, v in sent.items() if k != "Content-Type"}
    path = "shipping-methods" if event == LIST else "filter-shipping-methods"
    return Client().post(
        f"/saleor/{connection.webhook_token}/{path}",
        data=body,
        content_type="application/json",
        headers=sent,
    )


def nothing_stored() -> bool:
    return not InboundWebhook.objects.exists() and not PlatformOrder.objects.exists()


# --- the order mapping ------------------------------------------------------------------------


def test_the_documented_order_maps_with_its_chosen_locker():
    order = mapping.order_from_payload(sample("order_created.json"))
    assert order.external_id == "T3JkZXI6YzhmY2FjMTgtMWQ5Yy00NWRkLTgxMGYtMGIzMTJiYTNjZDYz"
    assert order.external_name == "#1042"
    assert order.updated_at == dt.datetime(2022, 2, 20, 21, 17, 38, 760000, tzinfo=dt.UTC)
    assert (order.currency, order.value_minor) == ("USD", 3850)
    assert order.shopper_name == "Bethany Hayes"
    assert order.shopper_email == "linda.thomas@example.com"
    assert order.shopper_phone == "+13125550123"
    assert (order.line1, order.city, order.state, order.postal_code, order.country) == (
        "59179 Bruce Gardens Apt. 413",
        "Lauramouth",
        "AR",
        "71807",
        "US",
    )
    assert [(line.sku, line.quantity, line.unit_value_minor) for line in order.lines] == [
        ("BOOK-1", 2, 1225),
        ("MUG-1", 1, 1400),
    ]
    # base64 "app:7:locker:12": the locker the shopper chose among our methods.
    assert (order.delivery_kind, order.pickup_location_ref) == ("locker", "locker:12")
    assert order.paid and not order.cancelled


def test_a_home_method_carries_its_service_and_the_shops_own_method_is_home():
    home = order_created(
        deliveryMethod={"__typename": "ShippingMethod", "id": method_id("home:svc-3")}
    )
    order = mapping.order_from_payload(home)
    assert (order.delivery_kind, order.delivery_service) == ("home", "svc-3")
    own = order_created(
        deliveryMethod={"__typename": "ShippingMethod", "id": "U2hpcHBpbmdNZXRob2Q6MTIz"}
    )
    assert mapping.order_from_payload(own).delivery_kind == "home"
    shop_choice = order_created(
        deliveryMethod={"__typename": "ShippingMethod", "id": method_id("shop:4")}
    )
    assert mapping.order_from_payload(shop_choice).pickup_location_ref == "shop:4"
    unpaid = order_created(isPaid=False, chargeStatus="NONE")
    assert not mapping.order_from_payload(unpaid).paid
    cancelled = order_created(status="CANCELED")
    assert mapping.order_from_payload(cancelled).cancelled


@pytest.mark.parametrize(
    "change",
    [
        {"id": None},
        {"lines": []},
        {"lines": "BOOK-1"},
        {"lines": [{"quantity": True, "variant": {"sku": "BOOK-1"}}]},
        {"lines": [{"quantity": 10**9, "variant": {"sku": "BOOK-1"}}]},
        {"total": {"gross": {"amount": "NaN", "currency": "USD"}}},
        {"total": {"gross": {"amount": 1e300, "currency": "USD"}}},
        {"total": {"gross": {"amount": 5, "currency": None}}},
        {"shippingAddress": None},
    ],
)
def test_orders_nearbox_cannot_read_are_payload_invalid(change):
    with pytest.raises(PayloadInvalid):
        mapping.order_from_payload(order_created(**change))


def test_hostile_texts_are_cleaned_not_crashed_on():
    order = mapping.order_from_payload(
        order_created(
            number="10\x0042",
            userEmail="a\ud800@example.com",
            updatedAt="0001-01-01T00:00:00+00:00",
            created="nonsense",
            deliveryMethod={"__typename": "ShippingMethod", "id": "%%%not base64"},
        )
    )
    assert order.external_name == "#1042"
    assert order.shopper_email == "a@example.com"
    assert order.updated_at is None
    assert order.delivery_kind == "home"


def test_a_bare_shop_address_means_its_graphql_api(settings):
    settings.NEARBOX_PLATFORMS_ALLOW_LOOPBACK = True
    normalize = SaleorConnector.normalize_shop_url
    assert normalize("shop.example.com") == "https://shop.example.com/graphql/"
    assert normalize("https://shop.example.com/graphql") == "https://shop.example.com/graphql/"
    assert normalize("http://127.0.0.1:8000/api/") == "http://127.0.0.1:8000/api"


@pytest.mark.parametrize(
    "address",
    [
        "http://shop.example.com/graphql/",
        "https://localhost/graphql/",
        "https://127.0.0.1/graphql/",
        "https://10.0.0.8/graphql/",
        "https://169.254.169.254/graphql/",
        "https://[::1]/graphql/",
        "https://saleor.internal/graphql/",
    ],
)
def test_a_local_or_plain_http_shop_address_is_refused_outside_development(settings, address):
    settings.NEARBOX_PLATFORMS_ALLOW_LOOPBACK = False
    with pytest.raises(ValueError):
        SaleorConnector.normalize_shop_url(address)
    assert SaleorConnector.normalize_shop_url("https://shop.example.com") == (
        "https://shop.example.com/graphql/"
    )


def test_method_ids_are_saleors_base64_of_the_app_and_our_code():
    encoded = mapping.method_id("locker:12", 7)
    assert base64.b64decode(encoded) == b"app:7:locker:12"
    assert mapping.method_code(encoded) == "locker:12"
    assert mapping.method_code("U2hpcHBpbmdNZXRob2Q6MTIz") == ""  # ShippingMethod:123
    assert mapping.method_code("") == ""


# --- signatures --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_signed_order_webhook_is_stored_once_and_a_redelivery_adds_nothing(merchant_a, shop):
    connection = connect(merchant_a.merchant, shop)
    body = json.dumps(order_created()).encode()
    first = deliver(connection, shop, body)
    assert first.status_code == 200, first.content
    assert first.json() == {"ok": True, "duplicate": False}
    again = deliver(connection, shop, body)
    assert again.json() == {"ok": True, "duplicate": True}
    stored = InboundWebhook.objects.get()
    assert stored.topic == "order.created"
    assert stored.connection == connection
    assert stored.payload["order"]["number"] == "1042"


def _forged(header: dict, body: bytes) -> str:
    segment = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    return f"{segment}..c2lnbmF0dXJl"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "case",
    [
        "unsigned",
        "tampered body",
        "another key, same kid",
        "algorithm none",
        "algorithm HS256",
        "payload attached",
        "not a JWS",
        "stale",
        "from the future",
        "undated",
        "another shop's API URL",
        "an event we never asked for",
        "not JSON",
        "HMAC where none is configured",
    ],
)
def test_refused_webhooks_are_401_and_leave_nothing(merchant_a, shop, case):
    connection = connect(merchant_a.merchant, shop)
    payload = order_created()
    if case == "stale":
        payload["issuedAt"] = issued_now(-dt.timedelta(hours=2))
    elif case == "from the future":
        payload["issuedAt"] = issued_now(dt.timedelta(hours=1))
    elif case == "undated":
        del payload["issuedAt"]
    body = json.dumps(payload).encode() if case != "not JSON" else b"\x00{not json"
    headers = shop.headers_for("ORDER_CREATED", body)
    if case == "unsigned":
        del headers["Saleor-Signature"]
    elif case == "tampered body":
        body = body.replace(b"1042", b"1043")
    elif case == "another key, same kid":
        headers["Saleor-Signature"] = sign(body, new_key(), shop.kid)
    elif case == "algorithm none":
        headers["Saleor-Signature"] = _forged({"alg": "none", "b64": False, "kid": "1"}, body)
    elif case == "algorithm HS256":
        headers["Saleor-Signature"] = _forged({"alg": "HS256", "b64": False, "kid": "1"}, body)
    elif case == "payload attached":
        header, _, signature = headers["Saleor-Signature"].split(".")
        attached = base64.urlsafe_b64encode(body).rstrip(b"=").decode()
        headers["Saleor-Signature"] = f"{header}.{attached}.{signature}"
    elif case == "not a JWS":
        headers["Saleor-Signature"] = "\u00e9" * 50
    elif case == "another shop's API URL":
        headers["Saleor-Api-Url"] = "https://other-shop.example.com/graphql/"
    elif case == "an event we never asked for":
        headers["Saleor-Event"] = "product_updated"
    elif case == "HMAC where none is configured":
        shop.webhook_secret = "s3cret-key"
        headers = shop.headers_for("ORDER_CREATED", body)
    response = deliver(connection, shop, body, headers)
    assert response.status_code == 401, (case, response.content)
    assert nothing_stored()


@pytest.mark.django_db
def test_a_signature_without_crit_as_older_pyjwt_writes_it_is_saleors_too(merchant_a, shop):
    connection = connect(merchant_a.merchant, shop)
    body = json.dumps(order_created()).encode()
    legacy = {"alg": "RS256", "b64": False, "kid": shop.kid, "typ": "JWT"}
    headers = shop.headers_for(
        "ORDER_CREATED", body, signature=sign(body, shop.key, shop.kid, header=legacy)
    )
    assert deliver(connection, shop, body, headers).status_code == 200
    refused = {
        "an unknown critical parameter": {**legacy, "crit": ["b64", "exp"]},
        "a base64 payload (b64 true)": {**legacy, "b64": True},
        "no b64 at all": {"alg": "RS256", "kid": shop.kid},
    }
    for case, header in refused.items():
        other = json.dumps(order_created(number=case)).encode()
        signed = shop.headers_for(
            "ORDER_CREATED", other, signature=sign(other, shop.key, shop.kid, header=header)
        )
        assert deliver(connection, shop, other, signed).status_code == 401, case
    assert InboundWebhook.objects.count() == 1


@pytest.mark.django_db
def test_hostile_signed_bodies_are_stored_clean_or_refused_never_a_500(merchant_a, shop):
    connection = connect(merchant_a.merchant, shop)
    marked = order_created(number="10\x0043", userEmail="\ud800<script>x</script>@example.com")
    marked["order"]["lines"][0]["productName"] = "\x00" * 10 + "\udfff"
    too_deep = order_created()
    nested: dict = too_deep
    for _ in range(200):
        nested["x"] = {}
        nested = nested["x"]
    cases = {
        "NUL and lone surrogates": (json.dumps(marked).encode(), 200),
        "nested 200 deep": (json.dumps(too_deep).encode(), 401),
        "a 5,000-digit number": (
            json.dumps(order_created())
            .encode()
            .replace(b'"quantity": 2', b'"quantity": ' + b"9" * 5000),
            401,
        ),
        "binary": (b"\xff\xfe" + bytes(range(256)), 401),
        "a JSON list": (b"[1, 2, 3]", 401),
    }
    for case, (body, expected) in cases.items():
        assert deliver(connection, shop, body).status_code == expected, case
    stored = InboundWebhook.objects.get()
    assert stored.payload["order"]["number"] == "1043"
    assert stored.payload["order"]["userEmail"] == "?<script>x</script>@example.com"


@pytest.mark.django_db
def test_the_deprecated_hmac_is_accepted_where_the_merchant_stored_the_secret(merchant_a, shop):
    connection = connect(merchant_a.merchant, shop, hmac_secret="s3cret-key")
    shop.webhook_secret = "s3cret-key"
    body = json.dumps(order_created()).encode()
    assert deliver(connection, shop, body).status_code == 200
    wrong = shop.headers_for("ORDER_CREATED", body, signature="0" * 64)
    assert deliver(connection, shop, body.replace(b"1042", b"1044"), wrong).status_code == 401
    assert InboundWebhook.objects.count() == 1


@pytest.mark.django_db
def test_a_new_kid_refetches_the_shops_jwks_once_and_a_forged_kid_does_not_hammer_it(
    merchant_a, shop
):
    connection = connect(merchant_a.merchant, shop)
    shop.rotate_key()  # Saleor's new key: its kid is not in our cached set
    body = json.dumps(order_created()).encode()
    assert deliver(connection, shop, body).status_code == 200
    assert shop.jwks_requests == 1
    connection.refresh_from_db()
    assert [key["kid"] for key in connection.settings["jwks"]["keys"]] == [shop.kid]
    # An unknown kid right after: refused from the cache, the shop is not asked again.
    forged = json.dumps(order_created(number="2000")).encode()
    headers = shop.headers_for("ORDER_CREATED", forged, signature=sign(forged, new_key(), "99"))
    assert deliver(connection, shop, forged, headers).status_code == 401
    assert shop.jwks_requests == 1
    assert InboundWebhook.objects.count() == 1


@pytest.mark.django_db
def test_a_disconnected_store_or_unknown_address_is_404(merchant_a, shop):
    connection = connect(merchant_a.merchant, shop)
    connection.state = PlatformConnection.State.DISCONNECTED
    connection.save()
    body = json.dumps(order_created()).encode()
    assert deliver(connection, shop, body).status_code == 404
    assert Client().get(f"/saleor/{connection.webhook_token}/manifest").status_code == 404
    assert Client().get("/saleor/nope/manifest").status_code == 404
    assert nothing_stored()


# --- the manifest ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_manifest_asks_for_the_permissions_and_subscribes_the_webhooks(
    merchant_a, shop, settings
):
    settings.NEARBOX_BASE_URL = "https://nearbox.example.com"
    connection = connect(merchant_a.merchant, shop)
    token = connection.webhook_token
    response = Client().get(f"/saleor/{token}/manifest")
    assert response.status_code == 200
    manifest = response.json()
    assert manifest["id"] == "io.nearbox.fulfilment"
    assert manifest["version"] and manifest["name"].startswith("Nearbox")
    assert manifest["permissions"] == ["MANAGE_ORDERS", "MANAGE_SHIPPING", "MANAGE_CHECKOUTS"]
    assert manifest["tokenTargetUrl"] == f"https://nearbox.example.com/saleor/{token}/register"
    hooks = {
        e: w
        for w in manifest["webhooks"]
        for e in w.get("asyncEvents", []) + w.get("syncEvents", [])
    }
    assert (
        hooks["ORDER_CREATED"]["targetUrl"]
        == f"https://nearbox.example.com/webhooks/platforms/{token}"
    )
    assert hooks[LIST]["targetUrl"].endswith(f"/saleor/{token}/shipping-methods")
    assert hooks[FILTER]["targetUrl"].endswith(f"/saleor/{token}/filter-shipping-methods")
    for event, hook in hooks.items():
        assert hook["query"].startswith("subscription {"), event
        assert "issuedAt" in hook["query"]  # what the freshness check reads
    # Saleor forbids the fields that would call the sync webhook again.
    assert "deliveryMethod" not in hooks[LIST]["query"]
    assert "shippingMethods" not in hooks[LIST]["query"]


# --- synchronous shipping webhooks --------------------------------------------------------------


@pytest.mark.django_db
def test_listed_methods_are_the_delivery_options_api_answer_for_the_same_cart(
    merchant_a, shop, network, settings
):
    settings.NEARBOX_SHOPIFY_PICKUP_PRICE_MINOR = 150
    connection = connect(merchant_a.merchant, shop)
    response = sync(connection, shop, LIST, chicago_checkout(("BOOK-1", 2), ("MUG-1", 1)))
    assert response.status_code == 200, response.content
    methods = response.json()

    api = Client(headers={"X-Nearbox-Key": merchant_a.publishable_key.raw}).get(
        "/api/v1/delivery-options", {"postal_code": "60601", "cart": "BOOK-1:2,MUG-1:1", "limit": 3}
    )
    assert api.status_code == 200, api.content
    options = api.json()
    expected_ids = [f"home:{home['id']}" for home in options["home"]]
    expected_ids += [place["ref"] for place in options["lockers"] + options["shops"]]
    assert [m["id"] for m in methods] == expected_ids
    near, far, corner = network["near"], network["far"], network["shop"]
    assert expected_ids[1:] == [f"locker:{near.pk}", f"locker:{far.pk}", f"shop:{corner.pk}"]

    home, api_home = methods[0], options["home"][0]
    assert home["name"] == "Zip Couriers Next day"
    assert home["amount"] == api_home["price"]["amount"] / 100 == 7.95
    assert home["currency"] == "USD"
    today = dt.datetime.now(ZoneInfo(merchant_a.merchant.time_zone)).date()
    until = dt.datetime.fromisoformat(api_home["eta"]["until"]).date()
    assert home["maximum_delivery_days"] == (until - today).days
    assert 0 <= home["minimum_delivery_days"] <= home["maximum_delivery_days"]
    assert methods[1]["name"].startswith("Pickup locker: Loop Lockers (")
    assert methods[1]["amount"] == 1.5
    assert methods[3]["description"].startswith(corner.address_line)
    documented = set().union(*(set(m) for m in sample("shipping_list_methods_response.json")))
    for method in methods:
        assert {"id", "name", "amount", "currency"} <= set(method) <= documented, method
        assert all(isinstance(v, str) for v in method["metadata"].values())


@pytest.mark.django_db
def test_no_address_yet_or_an_unknown_postcode_lists_nothing(merchant_a, shop, network):
    connection = connect(merchant_a.merchant, shop)
    no_address = chicago_checkout(("BOOK-1", 1))
    no_address["checkout"]["shippingAddress"] = None
    assert sync(connection, shop, LIST, no_address).json() == []
    nowhere = chicago_checkout(("BOOK-1", 1), postal_code="00000")
    assert sync(connection, shop, LIST, nowhere).json() == []


@pytest.mark.django_db
def test_sync_webhooks_refuse_bad_signatures_and_answer_hostile_bodies_without_a_500(
    merchant_a, shop, network
):
    connection = connect(merchant_a.merchant, shop)
    body = json.dumps(chicago_checkout(("BOOK-1", 1))).encode()
    unsigned = shop.headers_for(LIST, body)
    del unsigned["Saleor-Signature"]
    assert sync(connection, shop, LIST, body, unsigned).status_code == 401
    other_event = shop.headers_for(FILTER, body)  # a filter body signed, posted to the list URL
    assert sync(connection, shop, LIST, body, other_event).status_code == 401
    stale = chicago_checkout(("BOOK-1", 1))
    stale["issuedAt"] = issued_now(-dt.timedelta(minutes=10))
    assert sync(connection, shop, LIST, stale).status_code == 401
    hostile = [
        {"issuedAt": issued_now(), "checkout": {"lines": "x"}},
        {"issuedAt": issued_now(), "checkout": {"lines": [{"quantity": -1}]}},
        {"issuedAt": issued_now(), "checkout": []},
        {
            "issuedAt": issued_now(),
            "checkout": {
                "lines": [
                    {
                        "quantity": 1,
                        "variant": {
                            "sku": "\x00\ud800<b>",
                            "weight": {"unit": "KG", "value": 1e308},
                        },
                    }
                ],
                "shippingAddress": {"postalCode": "60601", "country": {"code": "US"}},
            },
        },
    ]
    for payload in hostile:
        response = sync(connection, shop, LIST, payload)
        assert response.status_code in (200, 400), (payload, response.content)
    deep = (
        b'{"issuedAt": "'
        + issued_now().encode()
        + b'", "checkout": '
        + b"[" * 5000
        + b"]" * 5000
        + b"}"
    )
    assert sync(connection, shop, LIST, deep).status_code in (400, 401)
    assert nothing_stored()


@pytest.mark.django_db
def test_filter_excludes_only_our_methods_that_the_cart_no_longer_gets(merchant_a, shop, network):
    connection = connect(merchant_a.merchant, shop)
    near, service = network["near"], network["service"]
    offered = [
        m["id"] for m in sync(connection, shop, LIST, chicago_checkout(("BOOK-1", 1))).json()
    ]
    assert f"locker:{near.pk}" in offered and f"home:svc-{service.pk}" in offered

    def methods(*codes: str) -> list[dict]:
        ours = [
            {"id": method_id(code), "name": code, "price": {"amount": 1, "currency": "USD"}}
            for code in codes
        ]
        return ours + sample("checkout_filter_shipping_methods.json")["shippingMethods"]

    body = chicago_checkout(("BOOK-1", 1))
    body["shippingMethods"] = methods(
        f"home:svc-{service.pk}", f"locker:{near.pk}", "locker:999999"
    )
    response = sync(connection, shop, FILTER, body)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "excluded_methods": [
            {
                "id": method_id("locker:999999"),
                "reason": "This locker has no free compartment the parcel fits.",
            }
        ]
    }
    # Forty books stack far taller than any compartment: the lockers go, the courier stays.
    bulky = chicago_checkout(("BOOK-1", 40))
    bulky["shippingMethods"] = methods(f"home:svc-{service.pk}", f"locker:{near.pk}")
    excluded = sync(connection, shop, FILTER, bulky).json()["excluded_methods"]
    assert [e["id"] for e in excluded] == [method_id(f"locker:{near.pk}")]
    # The documented request (no address, only the shop's own method): nothing to exclude.
    documented = sample("checkout_filter_shipping_methods.json")
    documented["issuedAt"] = issued_now()
    assert sync(connection, shop, FILTER, documented).json() == {"excluded_methods": []}


@pytest.mark.django_db
def test_connecting_saleor_on_the_page_shows_the_manifest_url_to_install_from(
    merchant_a, client_a, shop, settings
):
    settings.NEARBOX_PLATFORMS_ALLOW_LOOPBACK = True  # the fake Saleor is on 127.0.0.1
    response = client_a.post(
        "/app/settings/integrations/stores/connect/saleor/",
        {"name": "", "shop_url": shop.api_url, "backfill_days": "0"},
    )
    assert response.status_code == 302, response.content
    connection = PlatformConnection.objects.get(merchant=merchant_a.merchant)
    assert connection.shop_url == shop.api_url
    assert connection.settings["jwks"] == shop.jwks()  # the address is a Saleor: its keys answer
    page = client_a.get(response["Location"]).content.decode()
    manifest = f"/saleor/{connection.webhook_token}/manifest"
    assert manifest in page
    assert "Not installed yet." in page
    # Another merchant's store page is not found, and neither is its manifest's token elsewhere.
    unknown = Client().get(f"/saleor/{connection.webhook_token}x/manifest")
    assert unknown.status_code == 404


@pytest.mark.django_db
def test_connecting_an_address_that_is_no_saleor_is_refused_with_a_reason(
    merchant_a, client_a, settings
):
    settings.NEARBOX_PLATFORMS_ALLOW_LOOPBACK = True
    response = client_a.post(
        "/app/settings/integrations/stores/connect/saleor/",
        {"name": "", "shop_url": "http://127.0.0.1:9/graphql/", "backfill_days": "0"},
    )
    assert response.status_code == 422
    assert "Check the Saleor API URL." in response.content.decode()
    assert not PlatformConnection.objects.exists()


@pytest.mark.django_db
def test_the_import_of_open_orders_reads_the_shops_orders_with_the_app_token(merchant_a, shop):
    connection = connect(merchant_a.merchant, shop)
    shop.orders = [
        sample("order_created.json")["order"],
        {**sample("order_created.json")["order"], "id": "T3JkZXI6Mg==", "status": "DRAFT"},
    ]
    connector = SaleorConnector(connection, {"auth_token": shop.app_token})
    since = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    found = [connector.order_from_payload(order) for order in connector.fetch_orders(since)]
    assert [order.external_name for order in found] == ["#1042"]  # the draft is not an order
    assert shop.graphql_calls[-1]["variables"]["since"] == "2026-11-01"
    refused = SaleorConnector(connection, {"auth_token": "wrong"})
    with pytest.raises(PlatformError, match="refused the app token"):
        list(refused.fetch_orders(since))


@pytest.mark.django_db
def test_a_shops_checkout_is_answered_from_its_own_merchants_network_only(
    merchant_a, merchant_b, shop, network
):
    other_bank = make_bank(merchant_b.merchant, at=(41.8859, -87.6182), name="B's lockers")
    connection = connect(merchant_a.merchant, shop)
    methods = sync(connection, shop, LIST, chicago_checkout(("BOOK-1", 1))).json()
    codes = [m["id"] for m in methods]
    assert f"locker:{network['near'].pk}" in codes
    assert f"locker:{other_bank.pk}" not in codes
    assert all("B's" not in m["name"] for m in methods)
