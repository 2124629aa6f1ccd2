"""Shopify's CarrierService callback: the documented request, malformed bodies, tokens."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from demo.seeders.merchant import DemoSummary
from merchant.models import Merchant
from merchant.services.shopify import rotate_shopify_token
from tests.factories.couriers import make_account, make_service
from tests.factories.lockers import LINCOLN_PARK, LOOP, make_bank, make_shop
from tests.factories.merchant import make_point

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "shopify"
SAMPLE = json.loads((SAMPLES / "carrier_service_rate_request.json").read_text())
SHOPIFY_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}$")


def chicago_sample(**item) -> dict:
    """The documented request with a destination in Chicago (the demo network's city)."""
    body = copy.deepcopy(SAMPLE)
    body["rate"]["destination"].update(
        country="US", postal_code="60601", province="IL", city="Chicago"
    )
    body["rate"]["items"][0].update(item)
    return body


def post(merchant, body, *, raw: bytes | None = None):
    data = raw if raw is not None else json.dumps(body)
    return Client(enforce_csrf_checks=True).post(
        f"/shopify/carrier/{merchant.shopify_token}/rates",
        data=data,
        content_type="application/json",
    )


@pytest.fixture
def network(merchant_a):
    merchant = merchant_a.merchant
    make_point(merchant, name="Loop Warehouse", postal_code="60601")
    service = make_service(
        make_account(merchant, name="Zip Couriers"), name="Next day", base_minor=795
    )
    near = make_bank(merchant, at=LOOP, name="Loop Lockers")
    far = make_bank(merchant, at=LINCOLN_PARK, name="Lincoln Park Lockers")
    shop = make_shop(merchant, at=(41.8860, -87.6180), name="Corner Books")
    return service, near, far, shop


@pytest.mark.django_db
def test_the_documented_request_gets_home_and_pickup_rates(merchant_a, network):
    service, near, far, shop = network
    response = post(merchant_a.merchant, chicago_sample())
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    rates = response.json()["rates"]
    assert [r["service_code"] for r in rates] == [
        f"home:svc-{service.pk}",
        f"locker:{near.pk}",
        f"locker:{far.pk}",
        f"shop:{shop.pk}",
    ]
    home = rates[0]
    assert home["service_name"] == "Zip Couriers Next day"
    assert home["total_price"] == "795"  # a string, in cents
    assert home["currency"] == "USD"
    assert home["description"] == "Delivered to your door"
    assert rates[1]["service_name"].startswith("Pickup locker: Loop Lockers (")
    assert rates[1]["total_price"] == "0"
    assert rates[1]["description"].endswith("Collect any time, open 24/7.")
    assert rates[3]["description"].startswith(shop.address)
    for rate in rates:
        assert set(rate) == {
            "service_name",
            "service_code",
            "total_price",
            "currency",
            "min_delivery_date",
            "max_delivery_date",
            "description",
        }
        assert SHOPIFY_TIME.match(rate["min_delivery_date"]), rate
        assert SHOPIFY_TIME.match(rate["max_delivery_date"]), rate
        low = dt.datetime.strptime(rate["min_delivery_date"], "%Y-%m-%d %H:%M:%S %z")
        high = dt.datetime.strptime(rate["max_delivery_date"], "%Y-%m-%d %H:%M:%S %z")
        assert low <= high


@pytest.mark.django_db
def test_the_verbatim_sample_in_canada_answers_no_rates(merchant_a, network):
    response = post(merchant_a.merchant, SAMPLE)
    assert response.status_code == 200
    assert response.json() == {"rates": []}


@pytest.mark.django_db
def test_lockers_too_small_for_the_items_are_not_offered(merchant_a, network):
    service, _, _, shop = network
    # Twenty unknown items stack to 1 m: longer than any compartment (640 mm inside) any way.
    body = chicago_sample(quantity=20)
    codes = [r["service_code"] for r in post(merchant_a.merchant, body).json()["rates"]]
    assert codes == [f"home:svc-{service.pk}", f"shop:{shop.pk}"]
    # Too heavy for any compartment (25 kg at most) but not for the courier.
    heavy = chicago_sample(grams=30_000)
    codes = [r["service_code"] for r in post(merchant_a.merchant, heavy).json()["rates"]]
    assert not any(code.startswith("locker:") for code in codes)


@pytest.mark.django_db
def test_items_that_need_no_shipping_get_no_rates(merchant_a, network):
    body = chicago_sample(requires_shipping=False)
    assert post(merchant_a.merchant, body).json() == {"rates": []}


@pytest.mark.django_db
def test_an_unknown_postcode_answers_no_rates(merchant_a, network):
    body = chicago_sample()
    body["rate"]["destination"]["postal_code"] = "00000"
    response = post(merchant_a.merchant, body)
    assert response.status_code == 200
    assert response.json() == {"rates": []}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"not json at all", None),
        (b"\xff\xfe", None),
        (b"[1, 2, 3]", "body"),
        (b'{"rate": null}', "rate"),
        (b'{"rate": {"items": []}}', "rate.destination"),
        (b'{"rate": {"destination": {"country": "US", "postal_code": "60601"}}}', "rate.items"),
    ],
)
def test_malformed_bodies_answer_400_with_a_json_problem(merchant_a, network, raw, field):
    response = post(merchant_a.merchant, None, raw=raw)
    assert response.status_code == 400
    problem = response.json()
    assert problem["status"] == 400
    assert problem["field"] == field
    assert problem["code"] in {"malformed_json", "invalid_rate_request"}
    assert problem["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("grams", [-5, "heavy", 1.5, None, True])
def test_bad_grams_answer_400_naming_the_item(merchant_a, network, grams):
    response = post(merchant_a.merchant, chicago_sample(grams=grams))
    assert response.status_code == 400
    assert response.json()["field"] == "rate.items[0].grams"


@pytest.mark.django_db
def test_an_unknown_token_answers_404_json(merchant_a):
    response = Client().post(
        "/shopify/carrier/not-a-token/rates",
        data=json.dumps(SAMPLE),
        content_type="application/json",
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_get_is_refused_with_json(merchant_a):
    response = Client().get(f"/shopify/carrier/{merchant_a.merchant.shopify_token}/rates")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.django_db
def test_a_token_reaches_only_its_own_merchants_network(merchant_a, merchant_b, network):
    make_point(merchant_b.merchant, postal_code="60601")
    theirs = make_bank(merchant_b.merchant, at=LOOP, name="B's locker")
    make_service(make_account(merchant_b.merchant, name="B courier"), base_minor=100)
    mine = post(merchant_a.merchant, chicago_sample()).json()["rates"]
    assert f"locker:{theirs.pk}" not in [r["service_code"] for r in mine]
    assert all("B courier" not in r["service_name"] for r in mine)
    other = post(merchant_b.merchant, chicago_sample()).json()["rates"]
    assert [r["service_code"] for r in other] == [
        other[0]["service_code"],
        f"locker:{theirs.pk}",
    ]
    assert other[0]["total_price"] == "100"


@pytest.mark.django_db
def test_rotating_the_token_retires_the_old_url(merchant_a, network):
    merchant = merchant_a.merchant
    old = merchant.shopify_token
    rotate_shopify_token(merchant=merchant)
    assert merchant.shopify_token != old
    gone = Client().post(
        f"/shopify/carrier/{old}/rates", data=json.dumps(SAMPLE), content_type="application/json"
    )
    assert gone.status_code == 404
    assert post(merchant, chicago_sample()).status_code == 200


@pytest.mark.django_db
def test_merchants_get_distinct_tokens(merchant_a, merchant_b):
    a, b = merchant_a.merchant.shopify_token, merchant_b.merchant.shopify_token
    assert a != b and len(a) >= 40


@pytest.mark.django_db
def test_settings_show_the_callback_url_and_an_owner_can_rotate_it(merchant_a, client_a):
    merchant = merchant_a.merchant
    url = f"http://localhost:8000/shopify/carrier/{merchant.shopify_token}/rates"
    page = client_a.get("/app/settings/")
    assert page.status_code == 200
    assert url in page.content.decode()
    old = merchant.shopify_token
    response = client_a.post("/app/settings/", {"action": "rotate_shopify"})
    assert response.status_code == 302
    merchant.refresh_from_db()
    assert merchant.shopify_token != old
    assert merchant.shopify_token in client_a.get("/app/settings/").content.decode()


@pytest.mark.django_db
def test_createmerchant_prints_the_callback_url_that_answers():
    out = io.StringIO()
    call_command(
        "createmerchant",
        "--name=Callback Shop",
        "--email=callback@example.com",
        "--password=a-long-password-123",
        stdout=out,
    )
    summary = json.loads(out.getvalue())
    merchant = Merchant.objects.get(pk=summary["merchant_id"])
    assert summary["shopify_callback_url"] == (
        f"http://localhost:8000/shopify/carrier/{merchant.shopify_token}/rates"
    )
    path = summary["shopify_callback_url"].removeprefix("http://localhost:8000")
    response = Client().post(path, data=json.dumps(SAMPLE), content_type="application/json")
    assert response.json() == {"rates": []}


@pytest.mark.django_db
def test_the_demo_summary_has_the_callback_url(merchant_a):
    summary = DemoSummary(merchant_a.merchant, "sk", "pk").as_dict()
    assert summary["shopify_callback_url"].endswith(
        f"/shopify/carrier/{merchant_a.merchant.shopify_token}/rates"
    )
