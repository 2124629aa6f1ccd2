"""A pickup order's shipping label carries a check-in QR (not the shopper's secret code): the
counter page or locker terminal checks the parcel in with one scan of it, and refuses a
parcel that is addressed to another pickup point."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from fulfillment.labels.services.labels import label_data_for, tracking_url
from lockers.models import PickupParcel
from lockers.services import pickup
from lockers.services.network import staff_link_token
from tests.factories.couriers import make_shipment
from tests.factories.lockers import make_bank, make_shop, order_for


@pytest.mark.django_db
def test_a_locker_orders_label_qr_is_its_check_in_code_and_the_terminal_accepts_it(merchant_a):
    merchant = merchant_a.merchant
    bank = make_bank(merchant)
    shipment = make_shipment(merchant, order=order_for(merchant, bank))

    data = label_data_for(shipment)

    assert data.qr_payload == f"NBX1-IN:{bank.pickup_ref}:{shipment.tracking_number}"
    assert data.qr_caption == "Scan at the locker"
    url = reverse("pickup_terminal", args=[staff_link_token(bank)])
    scanned = Client().post(url, {"action": "receive", "receive-tracking_number": data.qr_payload})
    assert scanned.status_code == 200, scanned.content
    parcel = PickupParcel.objects.get(order=shipment.order)
    assert parcel.bank_id == bank.pk and parcel.tracking_number == shipment.tracking_number


@pytest.mark.django_db
def test_a_check_in_code_scanned_at_another_pickup_point_is_refused(merchant_a):
    merchant = merchant_a.merchant
    shop, elsewhere = make_shop(merchant), make_shop(merchant)
    shipment = make_shipment(merchant, order=order_for(merchant, shop))
    code = label_data_for(shipment).qr_payload
    assert label_data_for(shipment).qr_caption == "Scan at the counter"

    with pytest.raises(ValidationError, match="not addressed to"):
        pickup.record_arrival(place=elsewhere, tracking_number=code)
    with pytest.raises(ValidationError, match="not a Nearbox parcel label"):
        pickup.record_arrival(place=shop, tracking_number="NBX1-IN:shop")
    assert not PickupParcel.objects.exists()
    assert pickup.record_arrival(place=shop, tracking_number=code).created


@pytest.mark.django_db
def test_home_orders_and_returns_keep_the_tracking_link(merchant_a):
    merchant = merchant_a.merchant
    home = make_shipment(merchant)
    returned = make_shipment(merchant, order=order_for(merchant, make_shop(merchant)))
    returned.is_return = True

    assert label_data_for(home).qr_payload == tracking_url(home)
    assert label_data_for(returned).qr_payload == tracking_url(returned)
