"""The Capacity page: the empty states say what to do next; with a forecast, shifts and pick-ups
it shows the 14 days as a chart and a table with the advice, per point."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from fulfillment.capacity.services import save_pickup
from merchant.selectors.demand import merchant_today
from tests.factories.merchant import make_point
from tests.support.helpers import signed_in_client

from .conftest import build_shop, shift

pytestmark = pytest.mark.django_db


def test_a_new_shop_without_points_is_told_to_add_one(merchant_a):
    page = signed_in_client(merchant_a).get(reverse("capacity"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "No active storage points" in text and "Add a storage point" in text


def test_no_history_no_drivers_no_pick_ups_says_what_to_do_next(merchant_a):
    make_point(merchant_a.merchant, name="Back room")
    text = signed_in_client(merchant_a).get(reverse("capacity")).content.decode()
    assert "What to do next" in text
    assert "import your order history" in text
    assert "give your drivers shifts" in text
    assert "record the pick-ups you booked" in text
    assert "No courier pick-ups booked here" in text
    assert text.count('<tr class="day-idle">') == 14 and "Today (" in text
    assert 'aria-current="page"' in text and ">Capacity<" in text  # the main nav's entry


@pytest.mark.sqlite
def test_the_page_charts_the_days_and_advises_the_short_ones(merchant_a):
    merchant = merchant_a.merchant
    today = merchant_today(merchant)  # the page plans from the shop's real today
    shop = build_shop(merchant, today=today)
    hub = shop["hub"]
    shift(merchant, hub, name="Ana Today", day=today, parcels=200)
    save_pickup(merchant=merchant, point=hub, account=shop["parcel"],
                dates=[(today + dt.timedelta(days=2)).isoformat()], max_parcels=250,
                note="<script>alert(1)</script>", today=today)  # fmt: skip
    client = signed_in_client(merchant_a)
    text = client.get(reverse("capacity")).content.decode()
    assert "Lincoln Park: the next 14 days" in text
    assert len(re.findall(r'<g class="day day-', text)) == 14
    assert "day-short" in text and "day-ok" in text
    assert "add 3 drivers or move 100 to Bike courier · Same day" in text  # a day with nobody
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>alert(1)" not in text
    fragment = client.get(reverse("capacity"), headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="capacity-point">')
