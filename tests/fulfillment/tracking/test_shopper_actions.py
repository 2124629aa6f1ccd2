"""The shopper's own changes on the public tracking page (#20 item 4), within the merchant's
rules: a POST with CSRF, rate-limited, a clear 4xx when not allowed; afterwards the page shows
the new place."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from fulfillment.models import DeliveryReschedule, Order, ParcelRedirect
from fulfillment.tracking import shopper_actions
from fulfillment.tracking.reschedule import local_today
from tests.factories.couriers import make_shipment
from tests.factories.lockers import LOOP, make_bank
from tests.factories.orders import make_order


@pytest.fixture(autouse=True)
def fresh_limits():
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter("*tracking-change*"):
        client.delete(key)


def parcel(merchant, status="failed_attempt"):
    order = make_order(merchant)
    Order.objects.filter(pk=order.pk).update(latitude=LOOP[0], longitude=LOOP[1])
    order.refresh_from_db()
    return make_shipment(merchant, order=order, status=status)


def change_url(shipment) -> str:
    return reverse("tracking_shopper_change", kwargs={"token": shipment.public_token})


@pytest.mark.django_db
def test_shopper_sends_a_failed_parcel_to_a_locker_and_the_page_shows_it(merchant_a):
    merchant = merchant_a.merchant
    bank = make_bank(merchant, name="Wacker Locker")
    shipment = parcel(merchant)
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("tracking_page", kwargs={"token": shipment.public_token}))
    html = page.content.decode()
    assert "Send it to Wacker Locker" in html
    # Without the form's CSRF token the POST is refused.
    assert client.post(change_url(shipment), {"action": "redirect"}).status_code == 403
    token = page.cookies["csrftoken"].value
    response = client.post(
        change_url(shipment),
        {"action": "redirect", "place": bank.pickup_ref, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302 and response["Location"].endswith("?changed=redirect")
    after = client.get(response["Location"]).content.decode()
    assert "Done: your parcel now goes to Wacker Locker" in after
    assert "Pickup point" in after  # the page's pickup panel now names the locker
    assert 'id="redirect-line"' in after and "could not deliver" not in after
    assert ParcelRedirect.objects.get(shipment=shipment).requested_by == "shopper"


@pytest.mark.django_db
def test_with_shopper_redirects_off_the_page_offers_nothing_and_a_post_is_403(merchant_a):
    merchant = merchant_a.merchant
    bank = make_bank(merchant)
    shipment = parcel(merchant)
    shopper_actions.update_rules(merchant=merchant, shopper_redirect=False)
    client = Client()
    page = client.get(reverse("tracking_page", kwargs={"token": shipment.public_token}))
    assert "Send it to" not in page.content.decode()
    response = client.post(change_url(shipment), {"action": "redirect", "place": bank.pickup_ref})
    assert response.status_code == 403
    assert "does not let parcels be sent elsewhere" in response.content.decode()
    assert not ParcelRedirect.objects.exists()


@pytest.mark.django_db
def test_out_for_delivery_is_refused_to_the_shopper_by_the_default_rules(merchant_a):
    merchant = merchant_a.merchant
    bank = make_bank(merchant)
    shipment = parcel(merchant, status="out_for_delivery")
    response = Client().post(change_url(shipment), {"action": "redirect", "place": bank.pickup_ref})
    assert (
        response.status_code == 403 and "no longer be changed online" in response.content.decode()
    )


@pytest.mark.django_db
def test_shopper_picks_another_day_within_the_rule_and_not_beyond(merchant_a):
    merchant = merchant_a.merchant
    shipment = parcel(merchant, status="in_transit")
    shopper_actions.update_rules(merchant=merchant, max_reschedule_days=3)
    today = local_today(merchant)
    client = Client()
    too_far = (today + dt.timedelta(days=4)).isoformat()
    response = client.post(change_url(shipment), {"action": "reschedule", "day": too_far})
    assert response.status_code == 400 and "Pick a day from" in response.content.decode()
    for bad in ("", "2026-02-30", "9999-99-99", "\x00", "x" * 5000):
        bad_answer = client.post(change_url(shipment), {"action": "reschedule", "day": bad})
        assert bad_answer.status_code == 400
    day = (today + dt.timedelta(days=2)).isoformat()
    response = client.post(change_url(shipment), {"action": "reschedule", "day": day})
    assert response.status_code == 302
    record = DeliveryReschedule.objects.get(shipment=shipment)
    assert record.day.isoformat() == day and record.requested_by == "shopper"


@pytest.mark.django_db
def test_changes_are_rate_limited_per_parcel(merchant_a):
    shipment = parcel(merchant_a.merchant)
    client = Client()
    statuses = [
        client.post(change_url(shipment), {"action": "nonsense"}).status_code for _ in range(11)
    ]
    assert statuses[:10] == [400] * 10 and statuses[10] == 429


@pytest.mark.django_db
def test_another_merchants_locker_is_not_one_the_shopper_can_pick(merchant_a, merchant_b):
    make_bank(merchant_a.merchant)
    other = make_bank(merchant_b.merchant)
    shipment = parcel(merchant_a.merchant)
    response = Client().post(
        change_url(shipment), {"action": "redirect", "place": other.pickup_ref}
    )
    assert (
        response.status_code == 400
        and "Choose one of the places offered" in response.content.decode()
    )
