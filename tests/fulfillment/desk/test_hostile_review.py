"""Hostile input on the shipping desk, the box settings and the scale reading: a clear error or
404, never a 500, and nothing is started or saved."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fulfillment.models import BoxPreset, Shipment, ShipRun
from tests.factories.couriers import make_account, make_service
from tests.factories.orders import make_order

HUGE = "9" * 30
# Also make run's database: SQLite raised OverflowError (a 500) on an id beyond 64 bits.
pytestmark = pytest.mark.sqlite


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"orders": [HUGE]},
        {"orders": ["²"]},
        {"orders": ["1\x00"]},
        {"orders": ["-1"]},
        {"all_matching": "on", "filter": "point=" + HUGE},
        {"all_matching": "on", "filter": "tag=a\x00b"},
        {"all_matching": "on", "filter": "zip_prefix=%ED%A0%80&status=nonsense"},
        {"all_matching": "on", "filter": "q=" + "x" * 1990},
        {"orders": ["1"], "service": HUGE},
        {"orders": ["1"], "service": "\x00"},
    ],
)
def test_hostile_ship_selected_is_a_message_not_a_500(merchant_a, client_a, data):
    make_order(merchant_a.merchant)
    response = client_a.post("/app/desk/ship/", data, follow=True)
    assert response.status_code == 200
    assert "Nothing shipped" in response.content.decode()
    assert not ShipRun.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("suffix", ["", "retry", "labels.pdf", "labels.zpl"])
def test_a_huge_run_id_is_404(merchant_a, client_a, api_client_a, suffix):
    method = client_a.post if suffix == "retry" else client_a.get
    assert method(f"/app/desk/runs/{HUGE}/{suffix}").status_code == 404
    assert api_client_a.get(f"/api/v1/ship-runs/{HUGE}").status_code in (404, 422)


@pytest.mark.django_db
def test_a_huge_box_id_is_404(merchant_a, client_a):
    assert client_a.get(f"/app/settings/boxes/{HUGE}/").status_code == 404
    assert client_a.post(f"/app/settings/boxes/{HUGE}/active", {"active": "0"}).status_code == 404
    assert client_a.post(f"/app/desk/orders/{HUGE}/tags", {"tags": "a"}).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "reading",
    ["1e308 kg", "-1 lb", "NaN", "inf", "1e-308 g", "0", "nan lb", "1" * 59, "2 lb -6 oz", "1\x00"],
)
def test_a_hostile_scale_reading_is_refused_on_the_order_page(merchant_a, client_a, reading):
    make_service(make_account(merchant_a.merchant))
    order = make_order(merchant_a.merchant)
    response = client_a.post(
        reverse("order_ship", args=[order.pk]),
        {"option_id": "rule", "scale_reading": reading},
        follow=True,
    )
    assert response.status_code == 200
    assert not Shipment.objects.filter(order=order).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["1e308 in", "-1 in", "NaN", "inf cm", "0.0001 mm"])
def test_a_hostile_box_size_is_a_form_error(merchant_a, client_a, value):
    data = {
        "name": "B",
        "length": value,
        "width": "9 in",
        "height": "4 in",
        "empty_weight": value,
        "max_weight": value,
        "skus": "",
    }
    response = client_a.post(reverse("boxes"), data)
    assert response.status_code == 200
    assert not BoxPreset.objects.exists()


@pytest.mark.django_db
def test_ten_thousand_ids_and_huge_ids_in_the_api_are_422(merchant_a, api_client_a):
    for ids in ([*range(1, 10_001)], [2**63 - 1], [2**64]):
        response = api_client_a.post(
            "/api/v1/ship-runs", {"order_ids": ids}, content_type="application/json"
        )
        assert response.status_code == 422, (ids[:2], response.content[:300])
    assert not ShipRun.objects.exists()


@pytest.mark.django_db
def test_a_huge_point_or_box_id_in_a_form_is_a_form_error(merchant_a, client_a):
    make_service(make_account(merchant_a.merchant))
    order = make_order(merchant_a.merchant)
    data = {"name": "B", "length": "9 in", "width": "9 in", "height": "4 in",
            "empty_weight": "", "max_weight": "", "skus": "", "points": [HUGE]}  # fmt: skip
    assert client_a.post(reverse("boxes"), data).status_code == 200
    assert not BoxPreset.objects.exists()
    response = client_a.post(
        reverse("order_ship", args=[order.pk]), {"option_id": "rule", "box": HUGE}, follow=True
    )
    assert response.status_code == 200
    assert not Shipment.objects.filter(order=order).exists()


@pytest.mark.django_db
def test_all_matching_over_the_cap_says_so_and_starts_nothing(merchant_a, client_a, monkeypatch):
    from fulfillment.desk.services import ship_runs

    monkeypatch.setattr(ship_runs, "MAX_ORDERS", 3)  # the cap is 1000; four orders show it
    for _ in range(4):
        make_order(merchant_a.merchant)
    response = client_a.post("/app/desk/ship/", {"all_matching": "on", "filter": ""}, follow=True)
    assert "More than 3 orders match: narrow the filter." in response.content.decode()
    assert not ShipRun.objects.exists()
