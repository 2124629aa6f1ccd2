"""The returns portal and the Returns pages and API over HTTP: the shopper's steps, hostile
input answered with 4xx and nothing stored, and the merchant's decisions."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from fulfillment.models import Order, OrderLine
from fulfillment.models.returns import ReturnRequest, ReturnSettings
from fulfillment.returns.services import lookup
from fulfillment.returns.services.settings import get_return_settings
from merchant.models import StockMovement
from tests.factories.couriers import make_shipment
from tests.fulfillment.returns.conftest import delivered_order


def portal_order_url(order: Order) -> str:
    slug = order.merchant.slug
    return reverse("returns_portal_order", kwargs={"slug": slug, "token": lookup.portal_key(order)})


@pytest.mark.sqlite  # `make run` is SQLite: the whole return works there too
@pytest.mark.django_db
def test_a_shopper_finds_the_order_asks_and_downloads_the_label(merchant_a):
    order = delivered_order(merchant_a.merchant, quantity=2)
    line = OrderLine.objects.get(order=order)
    shopper = Client()
    start = reverse("returns_portal", kwargs={"slug": order.merchant.slug})

    wrong = shopper.post(start, {"order_number": order.reference, "email": "eve@example.com"})
    assert wrong.status_code == 400
    assert lookup.WRONG_PAIR in wrong.content.decode()
    found = shopper.post(start, {"order_number": order.reference, "email": "ada@example.com"})
    assert found.status_code == 302
    page = shopper.get(found["Location"])
    assert page.status_code == 200 and f'name="qty_{line.pk}"' in page.content.decode()
    assert page["Referrer-Policy"] == "same-origin"

    made = shopper.post(
        found["Location"], {f"qty_{line.pk}": "1", "reason": "Too small", "method": "label"}
    )
    assert made.status_code == 302
    request = ReturnRequest.objects.get(order=order)
    assert request.state == "approved" and request.shipment.is_return
    status = shopper.get(made["Location"])
    assert request.shipment.tracking_number in status.content.decode()
    label = shopper.get(
        reverse(
            "returns_portal_label",
            kwargs={"slug": order.merchant.slug, "token": request.public_token},
        )
    )
    assert label.status_code == 200 and label.content.startswith(b"%PDF")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "quantities",
    [
        {"QTY": "99999999999999999999999"},
        {"QTY": "3"},
        {"QTY": "-1"},
        {"QTY": "1\x00"},
        {"QTY": "0"},
        {"FOREIGN": "1"},
        {"qty_abc": "1"},
    ],
)
def test_hostile_quantities_are_a_form_error_and_store_nothing(merchant_a, merchant_b, quantities):
    order = delivered_order(merchant_a.merchant, quantity=2)
    line = OrderLine.objects.get(order=order)
    foreign = OrderLine.objects.get(order=delivered_order(merchant_b.merchant))
    names = {"QTY": f"qty_{line.pk}", "FOREIGN": f"qty_{foreign.pk}"}
    data = {names.get(k, k): v for k, v in quantities.items()}
    answer = Client().post(
        portal_order_url(order), {**data, "reason": "Too small", "method": "label"}
    )
    assert answer.status_code == 400
    assert 'role="alert"' in answer.content.decode()
    assert not ReturnRequest.objects.exists()


@pytest.mark.django_db
def test_markup_in_a_comment_is_shown_as_text(merchant_a):
    get_return_settings(merchant_a.merchant)
    ReturnSettings.objects.filter(merchant=merchant_a.merchant).update(auto_approve=False)
    order = delivered_order(merchant_a.merchant)
    line = OrderLine.objects.get(order=order)
    Client().post(
        portal_order_url(order),
        {
            f"qty_{line.pk}": "1",
            "reason": "Too small",
            "method": "label",
            "comment": "<script>alert(1)</script>",
        },
    )
    client = Client()
    client.force_login(merchant_a.owner)
    page = client.get(reverse("returns")).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


@pytest.mark.django_db
def test_the_tracking_link_opens_the_portal_for_that_order_only(merchant_a, merchant_b):
    order = delivered_order(merchant_a.merchant)
    shipment = order_shipment(order)
    url = reverse(
        "returns_portal_from_tracking",
        kwargs={"slug": order.merchant.slug, "token": shipment.public_token},
    )
    answer = Client().get(url)
    assert answer.status_code == 302
    assert (
        lookup.order_for_portal_key(
            merchant=order.merchant, key=answer["Location"].rstrip("/").rsplit("/", 1)[-1]
        )
        == order
    )
    other = reverse(
        "returns_portal_from_tracking",
        kwargs={"slug": merchant_b.merchant.slug, "token": shipment.public_token},
    )
    assert Client().get(other).status_code == 404
    tracking = Client().get(reverse("tracking_page", kwargs={"token": shipment.public_token}))
    assert url in tracking.content.decode()


def order_shipment(order: Order):
    from fulfillment.models import Shipment

    return Shipment.objects.get(order=order, is_return=False)


@pytest.mark.django_db
def test_an_altered_portal_key_starts_again(merchant_a):
    order = delivered_order(merchant_a.merchant)
    answer = Client().get(portal_order_url(order).rstrip("/") + "x/")
    assert answer.status_code == 404 and "expired" in answer.content.decode()


@pytest.mark.django_db(transaction=True)
def test_staff_approve_reject_and_receive_on_the_returns_page(merchant_a):
    merchant = merchant_a.merchant
    get_return_settings(merchant)
    ReturnSettings.objects.filter(merchant=merchant).update(auto_approve=False)
    first, second = (delivered_order(merchant), delivered_order(merchant))
    for order in (first, second):
        line = OrderLine.objects.get(order=order)
        Client().post(
            portal_order_url(order),
            {f"qty_{line.pk}": "1", "reason": "Too small", "method": "label"},
        )
    a, b = (ReturnRequest.objects.get(order=o) for o in (first, second))
    staff = Client()
    staff.force_login(merchant_a.owner)
    assert staff.post(reverse("return_reject", args=[a.pk]), {"note": "Worn"}).status_code == 302
    staff.post(reverse("return_approve", args=[b.pk]), {"note": ""})
    staff.post(reverse("return_receive", args=[b.pk]))
    staff.post(reverse("return_receive", args=[b.pk]))  # a double click
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.state, a.note, b.state) == ("rejected", "Worn", "received")
    assert StockMovement.objects.filter(reference=f"return:{b.pk}").count() == 1
    page = staff.get(reverse("returns")).content.decode()
    assert "Worn" in page


@pytest.mark.django_db
def test_return_settings_refuse_no_method_and_save_reasons(client_a, merchant_a):
    url = reverse("return_settings")
    bad = client_a.post(url, {"window_days": "14", "reasons": "Too small"})
    assert bad.status_code == 400 and "at least one way" in bad.content.decode()
    assert (
        client_a.post(
            url, {"window_days": "99999", "reasons": "x", "allow_label": "on"}
        ).status_code
        == 400
    )
    good = client_a.post(
        url,
        {"window_days": "14", "reasons": "Broken\n\nBroken\nWrong colour", "allow_dropoff": "on"},
    )
    assert good.status_code == 302
    prefs = get_return_settings(merchant_a.merchant)
    assert (prefs.window_days, prefs.reasons, prefs.methods) == (
        14,
        ["Broken", "Wrong colour"],
        ["dropoff"],
    )


@pytest.mark.django_db(transaction=True)
def test_the_api_lists_approves_and_receives_once(api_client_a, merchant_a, merchant_b):
    merchant = merchant_a.merchant
    get_return_settings(merchant)
    ReturnSettings.objects.filter(merchant=merchant).update(auto_approve=False)
    order = delivered_order(merchant)
    line = OrderLine.objects.get(order=order)
    Client().post(
        portal_order_url(order), {f"qty_{line.pk}": "1", "reason": "Too small", "method": "label"}
    )
    request = ReturnRequest.objects.get(order=order)

    listed = api_client_a.get("/api/v1/returns?state=requested").json()
    assert [r["id"] for r in listed["items"]] == [request.pk]
    early = api_client_a.post(f"/api/v1/returns/{request.pk}/receive")
    assert early.status_code == 409 and early.json()["code"] == "wrong_state"
    approved = api_client_a.post(f"/api/v1/returns/{request.pk}/approve?note=ok")
    assert approved.status_code == 200 and approved.json()["tracking_number"]
    for _ in range(2):
        received = api_client_a.post(f"/api/v1/returns/{request.pk}/receive")
        assert received.status_code == 200 and received.json()["state"] == "received"
    assert StockMovement.objects.filter(reference=f"return:{request.pk}").count() == 1
    rejected = api_client_a.post(f"/api/v1/returns/{request.pk}/reject")
    assert rejected.status_code == 409
    too_long = api_client_a.post(f"/api/v1/returns/{request.pk}/approve?note={'x' * 501}")
    assert too_long.status_code == 422

    theirs = make_shipment(merchant_b.merchant)  # another merchant's ids are 404
    assert api_client_a.get(f"/api/v1/returns/{theirs.pk}").status_code == 404
    assert api_client_a.get("/api/v1/returns/99999999999999999999").status_code in (404, 422)
