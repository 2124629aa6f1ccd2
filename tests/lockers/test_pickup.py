"""Parcels at shops and lockers: arrival issues a code, the code hands the parcel over, wrong
codes are limited, uncollected parcels go back with the shopper told a day before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lockers.models import Compartment, PickupParcel, Reservation
from lockers.parcels import Parcel
from lockers.services import pickup
from lockers.services.network import rotate_staff_link, staff_link_token
from lockers.services.reservations import confirm_reservation, reserve_compartment
from lockers.signals import parcel_return_requested
from lockers.tasks import expire_uncollected_parcels, remind_uncollected_parcels
from tests.factories.lockers import make_bank, make_shop, order_for

SMALL = Parcel(weight_g=500, length_mm=300, width_mm=200, height_mm=50)


@pytest.mark.django_db
def test_the_counter_receives_a_parcel_and_hands_it_over_against_its_code(
    merchant_a, django_capture_on_commit_callbacks
):
    shop = make_shop(merchant_a.merchant)
    order = order_for(merchant_a.merchant, shop)
    url = reverse("pickup_counter", args=[staff_link_token(shop)])
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        received = client.post(
            url, {"action": "receive", "receive-tracking_number": order.reference}
        )
    assert received.status_code == 200
    assert "The shopper has been sent their pickup code" in received.content.decode()
    parcel = PickupParcel.objects.get(order=order)
    assert parcel.status == PickupParcel.Status.READY
    assert len(mail.outbox) == 1
    pin = mail.outbox[0].subject.rsplit(" ", 1)[1]
    assert len(pin) == 6 and pin not in parcel.code_hash
    handed = client.post(url, {"action": "handover", "handover-code": pin})
    assert handed.status_code == 200
    assert f"hand over parcel <strong>{order.reference}</strong>" in handed.content.decode()
    parcel.refresh_from_db()
    assert parcel.status == PickupParcel.Status.COLLECTED
    again = client.post(url, {"action": "handover", "handover-code": pin})
    assert again.status_code == 422  # a code works once


@pytest.mark.django_db
def test_a_locker_terminal_opens_the_reserved_compartment_for_the_qr_code(merchant_a):
    bank = make_bank(merchant_a.merchant)
    order = order_for(merchant_a.merchant, bank)
    held = reserve_compartment(bank=bank, parcel=SMALL)
    confirm_reservation(reservation_token=held.token, order=order)
    arrival = pickup.record_arrival(place=bank, tracking_number=order.reference)
    assert arrival.parcel.compartment_id == held.compartment_id
    assert Compartment.objects.get(pk=held.compartment_id).state == Compartment.State.OCCUPIED
    url = reverse("pickup_terminal", args=[staff_link_token(bank)])
    response = Client().post(url, {"action": "handover", "handover-code": arrival.qr_payload})
    assert response.status_code == 200
    assert f"{held.compartment.label}</strong> is open" in response.content.decode()
    assert Compartment.objects.get(pk=held.compartment_id).state == Compartment.State.FREE
    assert Reservation.objects.get(pk=held.pk).status == Reservation.Status.COMPLETED


@pytest.mark.django_db
def test_wrong_codes_are_limited_per_place_even_the_right_one_after_five(merchant_a):
    shop = make_shop(merchant_a.merchant)
    arrival = pickup.record_arrival(
        place=shop, tracking_number=order_for(merchant_a.merchant, shop).reference
    )
    wrong = "000000" if arrival.pin != "000000" else "111111"
    for left in (4, 3, 2, 1, 0):
        with pytest.raises(pickup.WrongCode) as info:
            pickup.hand_over(place=shop, code=wrong)
        assert info.value.attempts_left == left
    with pytest.raises(pickup.TooManyWrongCodes) as limited:
        pickup.hand_over(place=shop, code=arrival.pin)
    assert 0 < limited.value.retry_after <= 900
    url = reverse("pickup_counter", args=[staff_link_token(shop)])
    page = Client().post(url, {"action": "handover", "handover-code": arrival.pin})
    assert page.status_code == 429
    # Another place keeps its own count.
    other = make_shop(merchant_a.merchant)
    with pytest.raises(pickup.WrongCode):
        pickup.hand_over(place=other, code=wrong)


@pytest.mark.django_db
def test_a_parcel_for_another_place_or_an_unknown_number_is_refused(merchant_a):
    shop, elsewhere = make_shop(merchant_a.merchant), make_shop(merchant_a.merchant)
    order = order_for(merchant_a.merchant, elsewhere)
    url = reverse("pickup_counter", args=[staff_link_token(shop)])
    response = Client().post(url, {"action": "receive", "receive-tracking_number": order.reference})
    assert response.status_code == 422
    assert "is not addressed to" in response.content.decode()
    unknown = Client().post(url, {"action": "receive", "receive-tracking_number": "NOPE-1"})
    assert "No parcel with tracking number NOPE-1" in unknown.content.decode()
    assert not PickupParcel.objects.exists()


@pytest.mark.django_db
def test_a_revoked_or_forged_staff_link_answers_404(merchant_a):
    shop = make_shop(merchant_a.merchant)
    old = staff_link_token(shop)
    rotate_staff_link(place=shop)
    assert Client().get(reverse("pickup_counter", args=[old])).status_code == 404
    assert Client().get(reverse("pickup_counter", args=[old + "x"])).status_code == 404
    bank_link = staff_link_token(make_bank(merchant_a.merchant))
    assert Client().get(reverse("pickup_counter", args=[bank_link])).status_code == 404
    assert Client().get(reverse("pickup_counter", args=[staff_link_token(shop)])).status_code == 200


@pytest.mark.django_db
def test_shopper_is_reminded_a_day_before_and_the_parcel_then_goes_back(
    merchant_a, settings, django_capture_on_commit_callbacks
):
    settings.NEARBOX_PICKUP_DAYS = 7
    bank = make_bank(merchant_a.merchant)
    order = order_for(merchant_a.merchant, bank)
    arrival = pickup.record_arrival(place=bank, tracking_number=order.reference)
    parcel = arrival.parcel
    returns = []
    parcel_return_requested.connect(
        lambda sender, parcel, **kw: returns.append(parcel.pk),
        weak=False,
        dispatch_uid="test-returns",
    )
    try:
        PickupParcel.objects.filter(pk=parcel.pk).update(
            collect_by=timezone.now() + timedelta(hours=20)
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert remind_uncollected_parcels() == 1
            assert remind_uncollected_parcels() == 0  # once only
        assert [m.subject for m in mail.outbox] == ["Your parcel goes back tomorrow"]
        assert mail.outbox[0].to == [order.shopper_email]
        PickupParcel.objects.filter(pk=parcel.pk).update(collect_by=timezone.now())
        with django_capture_on_commit_callbacks(execute=True):
            assert expire_uncollected_parcels() == 1
            assert expire_uncollected_parcels() == 0
    finally:
        parcel_return_requested.disconnect(dispatch_uid="test-returns")
    parcel.refresh_from_db()
    assert parcel.status == PickupParcel.Status.EXPIRED
    assert parcel.return_requested_at is not None
    assert "7 days" in parcel.return_reason
    assert returns == [parcel.pk]
    assert Compartment.objects.get(pk=parcel.compartment_id).state == Compartment.State.FREE
    with pytest.raises(pickup.WrongCode):
        pickup.hand_over(place=bank, code=arrival.pin)
