"""The manual courier's driver page: a signed link, no login, status buttons with proof."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import signing
from django.test import Client
from PIL import Image

from fulfillment.couriers.services.accounts import DRIVER_SALT, driver_token
from fulfillment.models import Shipment, ShipmentEvent
from tests.factories.couriers import make_shipment
from tests.support.helpers import screenshot


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_driver_marks_a_parcel_delivered_with_a_photo_on_a_phone(
    merchant_a, chromium_browser, live_server, tmp_path
):
    shipment = make_shipment(merchant_a.merchant)
    token = driver_token(account=shipment.account)
    photo = tmp_path / "doorstep.png"
    photo.write_bytes(png_bytes())
    context = chromium_browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/driver/{token}/")
        parcel = page.locator(f"section[data-tracking='{shipment.tracking_number}']")
        assert parcel.locator(".status").inner_text() == "Info received"
        parcel.get_by_role("button", name="Picked up", exact=True).click()
        assert parcel.locator(".status").inner_text() == "In transit"
        parcel.get_by_label("Photo of the delivered parcel").set_input_files(str(photo))
        parcel.get_by_role("button", name="Delivered", exact=True).click()
        page.get_by_role("status").filter(has_text="delivered").wait_for()
        assert parcel.locator(".status").inner_text() == "Delivered"
        screenshot(page, "driver-page-delivered")
    finally:
        context.close()
    shipment.refresh_from_db()
    assert shipment.status == "delivered" and shipment.delivered_at is not None
    assert shipment.handed_over_at is not None
    delivered = ShipmentEvent.objects.get(shipment=shipment, status="delivered")
    assert delivered.source == "driver" and delivered.proof.read().startswith(b"\x89PNG")


@pytest.mark.django_db
def test_an_expired_or_tampered_link_answers_404(merchant_a):
    shipment = make_shipment(merchant_a.merchant)
    token = driver_token(account=shipment.account)
    client = Client()
    assert client.get(f"/driver/{token}/").status_code == 200
    assert client.get(f"/driver/{token[:-2]}xx/").status_code == 404
    old = signing.TimestampSigner(salt=DRIVER_SALT)
    with pytest.MonkeyPatch.context() as mp:
        past = dt.datetime.now().timestamp() - 25 * 3600
        mp.setattr("time.time", lambda: past)
        expired = signing.dumps(
            {"a": shipment.account_id, "d": "2025-01-01"}, salt=DRIVER_SALT, compress=True
        )
    assert old is not None
    assert client.get(f"/driver/{expired}/").status_code == 404
    response = client.post(
        f"/driver/{expired}/", {"shipment_id": shipment.pk, "action": "picked_up"}
    )
    assert response.status_code == 404
    shipment.refresh_from_db()
    assert shipment.status == "info_received"


@pytest.mark.django_db
def test_the_driver_cannot_touch_another_couriers_parcel_and_must_give_proof_and_reason(
    merchant_a, merchant_b
):
    mine = make_shipment(merchant_a.merchant)
    theirs = make_shipment(merchant_b.merchant)
    client = Client()
    url = f"/driver/{driver_token(account=mine.account)}/"
    response = client.post(url, {"shipment_id": theirs.pk, "action": "picked_up"})
    assert response.status_code == 422
    assert b"not on your list" in response.content
    response = client.post(url, {"shipment_id": mine.pk, "action": "delivered"})
    assert response.status_code == 422 and b"Take a photo" in response.content
    response = client.post(url, {"shipment_id": mine.pk, "action": "failed", "reason": ""})
    assert response.status_code == 422 and b"Choose why" in response.content
    response = client.post(url, {"shipment_id": mine.pk, "action": "failed", "reason": "not_home"})
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.status == "info_received"
    event = ShipmentEvent.objects.get(shipment=mine)
    assert event.status == "failed_attempt" and event.reason_code == "not_home"
    signature = "data:image/png;base64," + __import__("base64").b64encode(png_bytes()).decode()
    client.post(url, {"shipment_id": mine.pk, "action": "delivered", "signature": signature})
    assert Shipment.objects.get(pk=mine.pk).status == "delivered"
