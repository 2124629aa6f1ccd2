"""The exceptions queue and the tracking page with the redirect and new-day parts (#20 item 4)
cost the same number of queries whatever the number of rows, and every control has a name
that says which parcel it acts on."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fulfillment.models import Order
from lockers.services import redirects
from tests.factories.couriers import make_shipment
from tests.factories.lockers import LOOP, make_bank, make_shop
from tests.factories.orders import make_order

pytestmark = [pytest.mark.sqlite, pytest.mark.django_db]


def failed_parcel(merchant, status="failed_attempt"):
    order = make_order(merchant, latitude=LOOP[0], longitude=LOOP[1])
    Order.objects.filter(pk=order.pk).update(latitude=LOOP[0], longitude=LOOP[1])
    order.refresh_from_db()
    return make_shipment(merchant, order=order, status=status)


def queries(client, url: str) -> int:
    client.get(url)  # the first look creates the merchant's rules row and warms caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_exceptions_queue_costs_the_same_for_three_rows_and_nine(merchant_a, client_a):
    merchant = merchant_a.merchant
    bank = make_bank(merchant, name="Loop Locker")
    make_shop(merchant, name="Corner Shop")
    first = [failed_parcel(merchant) for _ in range(3)]
    redirects.redirect(shipment=first[0], place_ref=bank.pickup_ref, requested_by="staff")
    first[0].__class__.objects.filter(pk=first[0].pk).update(exception_handled_at=None)
    url = reverse("shipment_exceptions")
    few = queries(client_a, url)
    more = [failed_parcel(merchant) for _ in range(6)]
    redirects.redirect(shipment=more[0], place_ref=bank.pickup_ref, requested_by="staff")
    more[0].__class__.objects.filter(pk=more[0].pk).update(exception_handled_at=None)
    assert queries(client_a, url) == few


def test_the_queues_buttons_name_the_parcel_they_act_on(merchant_a, client_a):
    merchant = merchant_a.merchant
    make_bank(merchant, name="Loop Locker")
    shipment = failed_parcel(merchant)
    html = client_a.get(reverse("shipment_exceptions")).content.decode()
    name = shipment.tracking_number or str(shipment.pk)
    for action in ("Reship", "Cancel", "Mark refunded", "Handled", "Reschedule"):
        assert f'{action}<span class="visually-hidden"> {name}</span>' in html, action
    assert f'<span class="visually-hidden">Send {name} to: </span>Loop Locker' in html
    assert f'id="place-hint-{shipment.pk}-1"' in html  # its address and hours, not a title only


def test_the_tracking_page_costs_the_same_with_more_events_and_places(merchant_a, client_a):
    merchant = merchant_a.merchant
    make_bank(merchant, name="Loop Locker")
    shipment = failed_parcel(merchant)
    url = reverse("tracking_page", kwargs={"token": shipment.public_token})
    few = queries(client_a, url)
    for n in range(3):
        make_bank(merchant, name=f"Locker {n}")
        make_shop(merchant, name=f"Shop {n}")
    assert queries(client_a, url) == few
