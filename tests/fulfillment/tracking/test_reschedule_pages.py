"""Staff reschedule from the exceptions queue, and the shopper rules page: bad input is a
message or a form error, never a 500; another merchant's shipment is a 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from fulfillment.models import DeliveryReschedule, ExceptionRules
from fulfillment.tracking.reschedule import local_today
from tests.factories.couriers import make_shipment


@pytest.mark.sqlite
@pytest.mark.django_db
def test_staff_reschedule_from_the_queue_and_hostile_days(merchant_a, merchant_b, client_a):
    shipment = make_shipment(merchant_a.merchant, status="failed_attempt")
    url = reverse("shipment_exception_action", kwargs={"shipment_id": shipment.pk})
    for bad in ("", "2026-13-01", "0000-00-00", "\x00", "<script>", "9" * 10_000):
        response = client_a.post(url, {"action": "reschedule", "day": bad}, follow=True)
        assert response.status_code == 200
        assert "Pick a day" in response.content.decode()
    assert not DeliveryReschedule.objects.exists()
    day = local_today(merchant_a.merchant) + dt.timedelta(days=2)
    response = client_a.post(url, {"action": "reschedule", "day": day.isoformat()}, follow=True)
    assert f"delivery moved to {day:%a %d %b}" in response.content.decode()
    record = DeliveryReschedule.objects.get(shipment=shipment)
    assert record.requested_by == "staff" and record.requested_by_user == merchant_a.owner
    assert record.courier_told == "not_supported" and "Tell" in record.courier_note

    other = make_shipment(merchant_b.merchant, status="failed_attempt")
    other_url = reverse("shipment_exception_action", kwargs={"shipment_id": other.pk})
    answer = client_a.post(other_url, {"action": "reschedule", "day": day.isoformat()})
    assert answer.status_code == 404


@pytest.mark.sqlite
@pytest.mark.django_db
def test_rules_page_saves_and_refuses_days_out_of_range(merchant_a, client_a):
    url = reverse("shipment_exception_rules")
    assert client_a.get(url).status_code == 200
    for bad in ("0", "15", "-1", "99999999999999999999", "x"):
        response = client_a.post(url, {"max_reschedule_days": bad, "shopper_redirect": "on"})
        assert response.status_code == 200 and "errorlist" in response.content.decode()
    response = client_a.post(
        url, {"max_reschedule_days": "7", "shopper_reschedule": "on", "after_failed_attempt": "on"}
    )
    assert response.status_code == 302
    rules = ExceptionRules.objects.get(merchant=merchant_a.merchant)
    assert (rules.max_reschedule_days, rules.shopper_redirect, rules.shopper_reschedule) == (
        7,
        False,
        True,
    )
    assert rules.before_out_for_delivery is False and rules.after_failed_attempt is True
