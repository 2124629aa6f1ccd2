"""Discarding a placement plan goes through the service (the view only reports the outcome)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from merchant.models import PlacementPlan
from merchant.services import placement

pytestmark = pytest.mark.django_db


def test_a_ready_plan_is_discarded_from_its_page(merchant_a, client_a):
    plan = PlacementPlan.objects.create(
        merchant=merchant_a.merchant, status=PlacementPlan.Status.READY
    )

    page = client_a.post(reverse("placement_discard", args=[plan.pk]), follow=True)

    assert "Plan discarded." in page.content.decode()
    plan.refresh_from_db()
    assert plan.status == PlacementPlan.Status.DISCARDED


@pytest.mark.parametrize("status", ["pending", "accepted", "discarded"])
def test_only_a_ready_or_failed_plan_can_be_discarded(merchant_a, client_a, status):
    plan = PlacementPlan.objects.create(merchant=merchant_a.merchant, status=status)

    with pytest.raises(ValidationError, match="Only a plan ready to review"):
        placement.discard_plan(plan=plan)
    page = client_a.post(reverse("placement_discard", args=[plan.pk]), follow=True)

    assert "Only a plan ready to review can be discarded." in page.content.decode()
    plan.refresh_from_db()
    assert plan.status == status


def test_another_merchants_plan_cannot_be_discarded(merchant_a, merchant_b, client_a):
    plan = PlacementPlan.objects.create(
        merchant=merchant_b.merchant, status=PlacementPlan.Status.READY
    )

    assert client_a.post(reverse("placement_discard", args=[plan.pk])).status_code == 404
    plan.refresh_from_db()
    assert plan.status == PlacementPlan.Status.READY
