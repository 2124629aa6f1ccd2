"""The Today page shows the open exceptions (a card fulfillment registers in merchant's
registry) with a link to the queue, and the card redraws itself as an htmx fragment."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from fulfillment.tracking.selectors import exception_count
from merchant.dashboard_cards import DASHBOARD_COUNTS, Card, cards_for
from tests.factories.couriers import make_shipment


def shown_count(html: str) -> int:
    card = re.search(r'data-card="open-exceptions".*?data-count>(\d+)<', html, re.S)
    assert card, "no open-exceptions card on the page"
    return int(card.group(1))


@pytest.mark.django_db
def test_today_page_shows_the_open_exceptions_count_with_a_link_to_the_queue(
    client_a, merchant_a, merchant_b
):
    merchant = merchant_a.merchant
    now = timezone.now()
    make_shipment(merchant, status="exception", status_changed_at=now)
    make_shipment(merchant, status="failed_attempt", status_changed_at=now)
    make_shipment(merchant, status="in_transit", status_changed_at=now)
    make_shipment(merchant_b.merchant, status="exception", status_changed_at=now)

    page = client_a.get(reverse("dashboard"))

    assert page.status_code == 200
    html = page.content.decode()
    assert exception_count(merchant) == 2
    assert shown_count(html) == exception_count(merchant)
    assert f'href="{reverse("shipment_exceptions")}"' in html


@pytest.mark.django_db
def test_the_cards_fragment_follows_new_exceptions(client_a, merchant_a):
    merchant = merchant_a.merchant
    before = client_a.get(reverse("dashboard"), HTTP_HX_REQUEST="true")
    assert shown_count(before.content.decode()) == 0
    assert b"<h1>" not in before.content  # the fragment, not the whole page

    make_shipment(merchant, is_stuck=True, status="in_transit", status_changed_at=timezone.now())
    after = client_a.get(reverse("dashboard"), HTTP_HX_REQUEST="true")

    assert shown_count(after.content.decode()) == 1 == exception_count(merchant)
    assert b'hx-trigger="every' in after.content


def test_a_failing_card_provider_is_left_out_not_fatal():
    def broken(merchant):
        raise RuntimeError("boom")

    def fine(merchant):
        return Card("Fine", 3)

    DASHBOARD_COUNTS.extend([broken, fine])
    try:
        assert cards_for(object())[-1] == Card("Fine", 3)
        assert all(card.label != "boom" for card in cards_for(object()))
    finally:
        DASHBOARD_COUNTS.remove(broken)
        DASHBOARD_COUNTS.remove(fine)
