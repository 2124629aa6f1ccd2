"""`seed_demo` loads the demo shop's returns once: one to approve, one drop-off approved."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from demo.seeders.merchant import DEMO_SLUG
from fulfillment.models.returns import ReturnRequest
from merchant.models import Merchant

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_return_to_approve_and_a_dropoff_once():
    parts = ["merchant", "couriers", "orders", "labels", "returns"]
    for _ in range(2):
        out = StringIO()
        call_command("seed_demo", *[a for p in parts for a in ("--only", p)], stdout=out)
    assert "Demo returns: 0 added" in out.getvalue()
    merchant = Merchant.objects.get(slug=DEMO_SLUG)
    states = sorted(ReturnRequest.objects.for_merchant(merchant).values_list("method", "state"))
    assert states == [("dropoff", "approved"), ("label", "requested")]
