"""`seed_demo` books the demo's courier pick-ups and two weeks of shifts once, and the demo
shop's Capacity page then advises on its days."""

from io import StringIO

import pytest
from django.core.management import call_command

from demo.seeders.merchant import DEMO_SLUG
from fulfillment.capacity.selectors import capacity_outlook
from fulfillment.models import CourierPickup, Shift
from merchant.models import Merchant

pytestmark = pytest.mark.django_db


def test_the_demo_books_pick_ups_and_shifts_once_and_the_outlook_advises():
    parts = ["merchant", "couriers", "fleet", "capacity"]
    for _ in range(2):
        out = StringIO()
        call_command("seed_demo", *[a for p in parts for a in ("--only", p)], stdout=out)
    assert "Capacity demo: 0 courier pick-ups booked, 0 shifts added" in out.getvalue()
    merchant = Merchant.objects.get(slug=DEMO_SLUG)
    assert CourierPickup.objects.for_merchant(merchant).count() == 2
    assert Shift.objects.for_merchant(merchant).count() >= 3 + 10  # today's three, then the rota
    outlook = capacity_outlook(merchant)
    by_name = {p.point.name: p for p in outlook.points}
    hub = by_name["Lincoln Park Back Room"]
    assert any(d.drivers for d in hub.days) and any(d.pickups for d in hub.days)
    assert all(d.text for p in outlook.points for d in p.days)
    warehouse = by_name["West Loop Warehouse"]
    assert any(d.pickup_parcels == 8 for d in warehouse.days)
