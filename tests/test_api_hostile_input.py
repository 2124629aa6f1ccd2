"""Hostile input to the JSON API (issue 14, found by probing): each case is a 4xx JSON problem
that names the field, and nothing is written. Values beyond a column, NUL bytes, lone
surrogates, datetimes no time zone can show, NaN, `true` for a number, deep JSON; plus the
label download under runserver's WSGI checks and an OpenAPI document that tells the truth."""

from __future__ import annotations

import datetime as dt
import json
from io import BytesIO
from wsgiref.validate import validator

import pytest
from django.core.wsgi import get_wsgi_application
from django.test import Client

from config.api import api
from fulfillment.couriers.adapters.webhooks import signed_headers
from fulfillment.models import Order, WebhookReceipt
from merchant.limits import EARLIEST, LATEST
from merchant.models import Product, StockMovement, StoragePoint
from tests.factories.couriers import make_shipment
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import order_data, stock
from tests.support.tracking import WEBHOOK_SECRET, sandbox_account

API = "/api/v1"
BIG64 = 2**63
BIG32 = 2**31


def post_json(client: Client, path: str, body: object | str, **headers) -> object:
    raw = body if isinstance(body, str) else json.dumps(body)  # lone surrogates as \\ud800
    return client.post(path, data=raw, content_type="application/json", headers=headers)


def assert_problem(response, status: int, field: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == status and body["code"] and body["detail"]
    assert body["field"] == field, body
    return body


@pytest.fixture
def shop(merchant_a):
    merchant = merchant_a.merchant
    point = make_point(merchant, postal_code="60614")
    product = make_product(merchant, sku="MUG-1")
    stock(merchant, point, product, 10)
    return point, product


# --- integers beyond the column --------------------------------------------------------------

LISTS = [
    "/jobs",
    "/products",
    "/stock",
    "/transfers",
    "/storage-points",
    "/orders",
    "/shipments",
    "/placement/plans",
    "/pickup-network/lockers",
    "/pickup-network/shops",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("name", ["limit", "offset"])
def test_a_page_beyond_64_bits_is_refused_on_every_list(api_client_a, path, name):
    assert_problem(api_client_a.get(f"{API}{path}", {name: BIG64}), 422, name)


@pytest.mark.django_db
def test_an_id_beyond_64_bits_in_the_path_is_refused(api_client_a):
    assert_problem(api_client_a.get(f"{API}/orders/{BIG64}"), 422, "order_id")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "name"), [("/stock/receive", "quantity"), ("/stock/adjust", "delta")]
)
def test_a_stock_change_beyond_32_bits_is_refused_and_moves_nothing(api_client_a, shop, path, name):
    point, product = shop
    body = {"sku": product.sku, "point_id": point.pk, name: BIG32, "reason": "probe"}
    assert_problem(post_json(api_client_a, f"{API}{path}", body), 422, name)
    assert StockMovement.objects.filter(product=product).count() == 1  # the seeding receipt


@pytest.mark.django_db
def test_an_order_value_beyond_64_bits_is_refused_and_not_stored(api_client_a, shop):
    body = order_data(("MUG-1", 1), value=BIG64)
    assert_problem(post_json(api_client_a, f"{API}/orders", body), 422, "value")
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_a_capacity_beyond_the_decimal_column_is_refused_and_not_stored(api_client_a):
    body = {"name": "Far", "address_line": "1 N State St", "city": "Chicago",
            "postal_code": "60602", "capacity_m3": 1.19e221}  # fmt: skip
    assert_problem(post_json(api_client_a, f"{API}/storage-points", body), 422, "capacity_m3")
    assert not StoragePoint.objects.filter(name="Far").exists()


@pytest.mark.django_db
def test_true_is_not_a_quantity(api_client_a, shop):
    body = order_data(("MUG-1", 1))
    body["lines"][0]["quantity"] = True
    assert_problem(post_json(api_client_a, f"{API}/orders", body), 422, "lines[0].quantity")
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_nan_is_not_json(api_client_a, shop):
    raw = json.dumps(order_data(("MUG-1", 1))).replace('"60614"', '"60614", "latitude": NaN')
    response = post_json(api_client_a, f"{API}/orders", raw)
    assert response.status_code == 400 and response.json()["code"] == "malformed_json"
    assert not Order.objects.exists()


# --- text no database stores -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["Ada\x00Shopper", "Ada \ud800 Shopper"], ids=["nul", "surrogate"])
def test_nul_bytes_and_lone_surrogates_in_an_order_are_refused(api_client_a, shop, bad):
    body = order_data(("MUG-1", 1), shopper={"name": bad})
    assert_problem(post_json(api_client_a, f"{API}/orders", body), 422, "shopper.name")
    assert not Order.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["MUG\x00", "MUG\udfff"], ids=["nul", "surrogate"])
def test_nul_bytes_and_lone_surrogates_in_a_sku_are_refused(api_client_a, bad):
    body = {"sku": bad, "name": "Mug", "weight_g": 300, "length_mm": 100,
            "width_mm": 100, "height_mm": 100}  # fmt: skip
    assert_problem(post_json(api_client_a, f"{API}/products", body), 422, "sku")
    assert not Product.objects.exists()


@pytest.mark.django_db
def test_a_nul_byte_in_a_search_is_refused(api_client_a):
    assert_problem(api_client_a.get(f"{API}/products", {"q": "a\x00b"}), 422, "q")


@pytest.mark.django_db
def test_a_reservation_cart_with_a_nul_byte_is_refused(merchant_a):
    client = Client(headers={"X-Nearbox-Key": merchant_a.publishable_key.raw})
    body = {"bank_id": 1, "cart": [{"sku": "MUG\x00", "quantity": 1}]}
    assert_problem(post_json(client, f"{API}/reservations", body), 422, "cart[0].sku")


# --- datetimes ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "moment",
    ["9999-12-31T23:00:00-12:00", "0001-01-01T00:00:00Z", "2026-06-01T10:00:00-18:35"],
    ids=["after-year-9999-in-utc", "year-1", "offset-beyond-14h"],
)
def test_a_promise_no_time_zone_can_show_is_refused_and_not_stored(api_client_a, shop, moment):
    body = order_data(("MUG-1", 1), promised_from=moment)
    assert_problem(post_json(api_client_a, f"{API}/orders", body), 422, "promised_from")
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_the_order_service_refuses_such_a_promise_from_any_entry_point(merchant_a, shop):
    from django.core.exceptions import ValidationError

    from fulfillment.orders.services.orders import create_order

    data = order_data(("MUG-1", 1), promised_from="9999-12-31T23:00:00-12:00")
    with pytest.raises(ValidationError) as refused:
        create_order(merchant=merchant_a.merchant, data=data)
    assert "promised_from" in refused.value.message_dict
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_a_created_after_filter_with_an_impossible_offset_is_refused(api_client_a):
    response = api_client_a.get(f"{API}/orders", {"created_after": "2026-01-01T00:00:00-18:35"})
    assert_problem(response, 422, "created_after")


# --- deep JSON ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_signed_webhook_nested_100000_levels_deep_is_a_400_and_stores_nothing(merchant_a):
    account, _ = sandbox_account(merchant_a.merchant)
    body = b"[" * 100_000 + b"]" * 100_000
    response = Client().post(
        f"/webhooks/couriers/{account.webhook_token}",
        data=body,
        content_type="application/json",
        headers=signed_headers(WEBHOOK_SECRET, body),
    )
    assert response.status_code == 400 and response.json()["code"] == "malformed"
    assert not WebhookReceipt.objects.exists()


@pytest.mark.django_db
def test_an_api_body_nested_100000_levels_deep_is_a_400(api_client_a):
    response = post_json(api_client_a, f"{API}/orders", "[" * 100_000 + "]" * 100_000)
    assert response.status_code == 400 and response.json()["code"] == "malformed_json"


# --- runserver's WSGI rules -----------------------------------------------------------------


def wsgi_get(path: str, query: str, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    """GET through `wsgiref.validate`, which asserts what runserver's wsgiref asserts."""
    answer: dict = {}
    environ = {
        "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": query,
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": BytesIO(b""),
        "wsgi.errors": BytesIO(), "wsgi.multithread": False, "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()},
    }  # fmt: skip

    def start_response(status, response_headers, exc_info=None):
        answer.update(status=status, headers=dict(response_headers))
        return lambda data: None

    result = validator(get_wsgi_application())(environ, start_response)
    try:
        b"".join(result)
    finally:
        result.close()
    return answer["status"], answer["headers"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("size", "fmt"), [("4x6", "pdf"), ("a6", "pdf"), ("a4", "pdf"), ("4x6", "zpl")]
)
def test_a_label_download_passes_runservers_header_checks(merchant_a, keep_connection, size, fmt):
    shipment = make_shipment(merchant_a.merchant)
    status, headers = wsgi_get(
        f"{API}/shipments/{shipment.pk}/label",
        f"size={size}&format={fmt}",
        {"Authorization": f"Bearer {merchant_a.secret_key.raw}"},
    )
    assert status.startswith("200") and headers["X-Label-Source"] == "nearbox"


# --- the OpenAPI document -------------------------------------------------------------------


def test_no_two_api_schemas_share_a_name():
    from ninja import Schema

    def every(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from every(sub)

    seen: dict[str, type] = {}
    for cls in every(Schema):
        if cls.__module__.split(".")[1:2] != ["api"]:
            continue
        other = seen.setdefault(cls.__name__, cls)
        assert other is cls, f"{cls.__module__}.{cls.__name__} and {other.__module__} share a name"


def test_the_order_events_are_documented_as_order_events():
    document = api.get_openapi_schema()
    schemas = document["components"]["schemas"]
    events = schemas["OrderOut"]["properties"]["events"]["items"]["$ref"]
    assert set(schemas[events.rsplit("/", 1)[1]]["properties"]) == {
        "from_status", "to_status", "at", "by", "note"
    }  # fmt: skip


def test_local_times_are_not_documented_as_rfc3339_times():
    text = json.dumps(api.get_openapi_schema())
    assert '"format": "time"' not in text
    assert json.loads(text)["components"]["schemas"]["ServiceOut"]["properties"]["pickup_cutoff"][
        "pattern"
    ]


# --- a row stored before these checks never makes a page unreadable ----------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("stored", "shown"),
    [("10000-01-01 00:00:00+00", LATEST), ("0001-01-01 00:00:00+00", EARLIEST)],
    ids=["year-10000", "year-1"],
)
def test_orders_with_a_stored_time_no_zone_can_show_still_read(
    merchant_a, api_client_a, client_a, stored, shown
):
    from django.db import connection

    from tests.factories.orders import make_order

    order = make_order(merchant_a.merchant)
    with connection.cursor() as cursor:  # as an order stored before input was checked
        cursor.execute(
            "UPDATE fulfillment_order SET promised_from = %s::timestamptz WHERE id = %s",
            [stored, order.pk],
        )

    assert api_client_a.get(f"{API}/orders").status_code == 200
    detail = api_client_a.get(f"{API}/orders/{order.pk}")
    assert detail.status_code == 200
    assert dt.datetime.fromisoformat(detail.json()["promised_from"]) == shown
    assert client_a.get("/app/orders/").status_code == 200
    assert client_a.get(f"/app/orders/{order.pk}/").status_code == 200
