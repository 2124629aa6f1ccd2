"""Uploaded and staged files are never served as a folder: staged CSV imports, labels and
proofs of delivery are private to their merchant, even with DEBUG on."""

from __future__ import annotations

import importlib
import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import clear_url_caches
from django.utils import timezone
from PIL import Image

from fulfillment.models import ShipmentEvent
from tests.factories.couriers import make_shipment
from tests.support.helpers import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def debug_urls(settings):
    """config.urls as it is built with DEBUG on (it used to add MEDIA_ROOT then)."""
    import config.urls

    settings.DEBUG = True
    importlib.reload(config.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(config.urls)
    clear_url_caches()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (2, 2), "red").save(out, format="PNG")
    return out.getvalue()


def test_a_staged_import_file_is_not_served_even_with_debug_on(
    settings, debug_urls, merchant_a, client_a
):
    staged = Path(settings.MEDIA_ROOT) / "imports" / str(merchant_a.merchant.pk) / "stock.csv"
    staged.parent.mkdir(parents=True, exist_ok=True)
    staged.write_text("sku,quantity\nSECRET-SKU,5\n")
    url = f"{settings.MEDIA_URL}imports/{merchant_a.merchant.pk}/stock.csv"
    assert url == f"/media/imports/{merchant_a.merchant.pk}/stock.csv"  # a path, not a host
    for client in (Client(), client_a):  # not to strangers, and not as a folder to its owner
        response = client.get(url)
        assert response.status_code == 404
        assert b"SECRET-SKU" not in b"".join(getattr(response, "streaming_content", [b""]))


def test_a_proof_of_delivery_is_shown_only_to_its_merchant(merchant_a, merchant_b, client_a):
    shipment = make_shipment(merchant_a.merchant)
    event = ShipmentEvent.objects.create(
        merchant=shipment.merchant,
        shipment=shipment,
        event_id="proof-1",
        status="delivered",
        occurred_at=timezone.now(),
        source="driver",
        proof=ContentFile(png(), name="door.png"),
    )
    url = f"/app/couriers/shipments/{shipment.pk}/events/{event.pk}/proof"

    page = client_a.get(f"/app/couriers/shipments/{shipment.pk}/")
    assert url in page.content.decode() and event.proof.url not in page.content.decode()
    response = client_a.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")

    assert signed_in_client(merchant_b).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the sign-in page


def test_a_proof_that_is_not_an_image_is_a_download_not_a_page(merchant_a, client_a):
    shipment = make_shipment(merchant_a.merchant)
    event = ShipmentEvent.objects.create(
        merchant=shipment.merchant,
        shipment=shipment,
        event_id="proof-2",
        status="delivered",
        occurred_at=timezone.now(),
        source="driver",
        proof=ContentFile(b"<script>alert(1)</script>", name="door.html"),
    )
    response = client_a.get(f"/app/couriers/shipments/{shipment.pk}/events/{event.pk}/proof")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_merchants_logo_is_public_through_its_own_view(merchant_a):
    merchant = merchant_a.merchant
    merchant.logo.save("logo.png", ContentFile(png()), save=True)
    response = Client().get(f"/brand/{merchant.slug}/logo")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert Client().get("/brand/no-such-shop/logo").status_code == 404
