"""The accepted placement plan's effect: the same placement figures over equal windows before
and after the local day it was accepted, from the rollups, equal to a count of the rows."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from fulfillment.analytics.filters import AnalyticsFilters
from fulfillment.analytics.selectors import build_report
from fulfillment.analytics.services.rollups import rebuild
from merchant.models.demand import PlacementPlan
from tests.fulfillment.analytics.history import (
    START,
    TZ,
    make_world,
    reference_figures,
    write_history,
)
from tests.fulfillment.analytics.test_report_property import order

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_before_and_after_an_accepted_plan_are_counted_on_each_side():
    world = make_world()
    far, near = (0, 3, 9000, False), (0, 1, 800, False)
    history = [order(day=d, allocations=[far]) for d in (2, 3, 4)]
    history += [order(day=d, allocations=[near]) for d in (6, 7, 8, 9)]
    write_history(world, history)
    rebuild(merchant=world.merchant)

    accepted = dt.datetime.combine(
        START + dt.timedelta(days=5), dt.time(12), tzinfo=zoneinfo.ZoneInfo(TZ)
    )
    PlacementPlan.objects.create(merchant=world.merchant, status="discarded")
    plan = PlacementPlan.objects.create(
        merchant=world.merchant, status="accepted", accepted_at=accepted
    )
    filters = AnalyticsFilters(START + dt.timedelta(days=5), START + dt.timedelta(days=9))
    effect = build_report(world.merchant, filters).placement_effect
    assert effect is not None and effect.plan_id == plan.pk
    assert effect.accepted_on == "2026-03-06" and effect.days == 4
    before = reference_figures(
        world.merchant,
        filters,
        date_from=START + dt.timedelta(days=1),
        date_to=START + dt.timedelta(days=4),
    )
    after = reference_figures(
        world.merchant,
        filters,
        date_from=START + dt.timedelta(days=6),
        date_to=START + dt.timedelta(days=9),
    )
    assert effect.before["nearest_point_share"] == before["nearest_point_share"] == 0.0
    assert effect.after["nearest_point_share"] == after["nearest_point_share"] == 1.0
    assert effect.before["distance_m_mean"] == 9000.0 and effect.after["distance_m_mean"] == 800.0
    assert effect.after["allocated_orders"] == 4 and effect.before["allocated_orders"] == 3
