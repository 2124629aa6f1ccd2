"""Locker and shop orders on the dashboard: the order page names the pickup place with its
compartment and reservation, and the reservations list shows the merchant's holds only,
filterable and paginated."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lockers.models import Reservation
from lockers.parcels import Parcel
from lockers.services import pickup
from lockers.services.reservations import confirm_reservation, reserve_compartment
from tests.factories.lockers import make_bank, make_shop, order_for
from tests.factories.orders import make_order

SMALL = Parcel(weight_g=500, length_mm=300, width_mm=200, height_mm=50)


@pytest.mark.django_db
def test_the_order_page_names_the_locker_its_compartment_and_the_reservation(merchant_a, client_a):
    bank = make_bank(merchant_a.merchant, name="Clark St lockers", address_line="233 S Clark St")
    order = order_for(merchant_a.merchant, bank)
    held = reserve_compartment(bank=bank, parcel=SMALL)
    confirm_reservation(reservation_token=held.token, order=order)

    page = client_a.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert 'id="pickup-place"' in page
    assert "Clark St lockers" in page and "233 S Clark St" in page
    assert f"{held.compartment.label} (small)" in page
    assert "Confirmed" in page and "Not checked in yet" in page
    pickup.record_arrival(place=bank, tracking_number=order.reference)
    after = client_a.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "Ready for collection, collect by" in after


@pytest.mark.django_db
def test_the_order_page_names_a_pickup_shop_and_escapes_its_name(merchant_a, client_a):
    shop = make_shop(merchant_a.merchant, name="<script>alert(1)</script> Corner")
    order = order_for(merchant_a.merchant, shop)

    page = client_a.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert "Pickup shop" in page and "&lt;script&gt;alert(1)&lt;/script&gt; Corner" in page
    assert "<script>alert(1)" not in page


@pytest.mark.django_db
def test_a_home_order_page_has_no_pickup_card_and_a_vanished_place_is_said(
    merchant_a, merchant_b, client_a
):
    home = make_order(merchant_a.merchant)
    assert (
        'id="pickup-place"'
        not in client_a.get(reverse("order_detail", args=[home.pk])).content.decode()
    )
    order = order_for(merchant_a.merchant, make_shop(merchant_a.merchant))
    order.pickup_location_ref = make_shop(merchant_b.merchant).pickup_ref  # not theirs
    order.save(update_fields=["pickup_location_ref"])
    page = client_a.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "is not in your pickup network any more" in page


@pytest.mark.django_db
def test_the_reservations_list_shows_only_this_merchants_holds_and_filters(
    merchant_a, merchant_b, client_a
):
    north, south = (
        make_bank(merchant_a.merchant, name="North"),
        make_bank(merchant_a.merchant, name="South"),
    )
    order = order_for(merchant_a.merchant, north)
    confirmed = reserve_compartment(bank=north, parcel=SMALL)
    confirm_reservation(reservation_token=confirmed.token, order=order)
    reserve_compartment(bank=south, parcel=SMALL)
    theirs = reserve_compartment(bank=make_bank(merchant_b.merchant, name="Theirs"), parcel=SMALL)
    url = reverse("pickup_reservations")

    everything = client_a.get(url).content.decode()
    assert "North" in everything and "South" in everything and "Theirs" not in everything
    assert theirs.token not in everything
    by_status = client_a.get(url, {"status": "confirmed"}).content.decode()
    assert order.reference in by_status and 'href="/app/pickup' in by_status
    assert ">South</a>" not in by_status
    by_bank = client_a.get(url, {"bank": south.pk}).content.decode()
    assert ">South</a>" in by_bank and ">North</a>" not in by_bank
    by_order = client_a.get(url, {"q": order.reference[:8]}).content.decode()
    assert order.reference in by_order and ">South</a>" not in by_order
    other_bank = client_a.get(url, {"bank": theirs.bank_id})
    assert other_bank.status_code == 200 and "Theirs" not in other_bank.content.decode()
    assert (
        "No reservation matches these filters"
        in client_a.get(url, {"q": "nothing-like-this"}).content.decode()
    )
    fragment = client_a.get(url, {"status": "held"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()


@pytest.mark.django_db
def test_the_reservations_list_paginates_and_keeps_its_filters(merchant_a, client_a):
    bank = make_bank(merchant_a.merchant, compartments={"S": 30})
    for _ in range(27):
        reserve_compartment(bank=bank, parcel=SMALL)
    assert Reservation.objects.filter(bank=bank).count() == 27
    url = reverse("pickup_reservations")

    first = client_a.get(url, {"status": "held"}).content.decode()
    second = client_a.get(url, {"status": "held", "page": 2}).content.decode()

    assert "page 1 of 2" in first and "status=held" in first and "page=2" in first
    assert second.count("<tr>") == 1 + 2  # the header row and the last two holds


@pytest.mark.django_db
def test_the_reservations_list_is_linked_from_the_pickup_network_and_has_empty_states(
    merchant_a, client_a
):
    network = client_a.get(reverse("pickup_network")).content.decode()
    assert reverse("pickup_reservations") in network
    bank = make_bank(merchant_a.merchant)
    detail = client_a.get(reverse("pickup_bank_detail", args=[bank.pk])).content.decode()
    assert f"{reverse('pickup_reservations')}?bank={bank.pk}" in detail
    bank.delete()
    empty = client_a.get(reverse("pickup_reservations")).content.decode()
    assert "No locker banks yet" in empty
    make_bank(merchant_a.merchant)
    assert "No reservations yet" in client_a.get(reverse("pickup_reservations")).content.decode()


@pytest.mark.django_db
def test_a_nul_byte_in_the_reservation_search_is_a_form_error_and_the_list_stays_whole(
    merchant_a, client_a
):
    bank = make_bank(merchant_a.merchant)
    held = reserve_compartment(bank=bank, parcel=SMALL)

    response = client_a.get(reverse("pickup_reservations"), {"q": "A-1\x00"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Null characters are not allowed." in page
    assert held.compartment.label in page
