"""Rollups follow events: intake and tracking's ingest mark days dirty through the signals, the
fold recomputes them, a duplicated fold changes nothing, and the figures stay those of the rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from fulfillment.analytics.filters import AnalyticsFilters
from fulfillment.analytics.selectors import build_report
from fulfillment.analytics.services.dirty import fold_dirty_days, mark_days_dirty
from fulfillment.analytics.services.rollups import local_day, rebuild
from fulfillment.analytics.tasks import fold_analytics_days
from fulfillment.couriers.adapters import TrackingStatus as S
from fulfillment.models.analytics import AnalyticsDay, AnalyticsDirtyDay
from fulfillment.tracking.ingest import ingest_results
from merchant.zones import zone_of
from tests.fulfillment.analytics.history import make_world, write_history
from tests.fulfillment.analytics.test_report_property import EDGES, rollup_snapshot
from tests.support.tracking import add_shipment, event, result, sandbox_account


def today_filters(merchant) -> AnalyticsFilters:
    today = local_day(timezone.now(), zone_of(merchant))
    return AnalyticsFilters(date_from=today - dt.timedelta(days=2), date_to=today)


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_tracking_events_reach_the_report_through_the_fold(merchant_a):
    merchant = merchant_a.merchant
    account, service = sandbox_account(merchant)
    shipment = add_shipment(account, service)  # intake notes the order
    assert fold_dirty_days() == 1  # its day, once
    assert not AnalyticsDirtyDay.objects.filter(merchant=merchant).exists()
    report = build_report(merchant, today_filters(merchant))
    assert report.cost.figures["orders"] == 1
    assert report.performance.figures["delivered"] == 0

    now = timezone.now()
    n = shipment.tracking_number
    failed = event(n, S.FAILED_ATTEMPT, now - dt.timedelta(hours=2), "not home")
    done = event(n, S.DELIVERED, now - dt.timedelta(hours=1), "delivered")
    ingest_results(account=account, results={n: result(n, failed, done)}, polled=True)
    # The status change noted the shipment; the report still shows the last fold until beat
    # folds (never a scan of raw events per page view).
    assert build_report(merchant, today_filters(merchant)).performance.figures["delivered"] == 0
    assert fold_analytics_days() == 1
    figures = build_report(merchant, today_filters(merchant)).performance.figures
    assert figures["delivered"] == 1
    assert figures["failed_attempts"] == 1
    assert figures["first_attempt_success"] == 0


@pytest.mark.sqlite
@pytest.mark.django_db
def test_a_duplicated_fold_changes_nothing():
    world = make_world()
    write_history(world, EDGES)
    days = {o["day"] for o in EDGES}
    from tests.fulfillment.analytics.history import START

    mark_days_dirty(
        merchant_id=world.merchant.pk, days=[START + dt.timedelta(days=d) for d in days]
    )
    assert fold_dirty_days() == len(days)
    once = rollup_snapshot(world.merchant)
    # The same days queued again (a retried task, a duplicated signal) fold to the same rows.
    mark_days_dirty(
        merchant_id=world.merchant.pk, days=[START + dt.timedelta(days=d) for d in days]
    )
    fold_dirty_days()
    fold_dirty_days()
    assert rollup_snapshot(world.merchant) == once
    rebuild(merchant=world.merchant)
    assert rollup_snapshot(world.merchant) == once
    assert sum(
        AnalyticsDay.objects.filter(merchant=world.merchant).values_list("orders", flat=True)
    ) == len(EDGES)


@pytest.mark.django_db
def test_a_day_marked_again_while_folding_stays_queued():
    world = make_world()
    day = dt.date(2026, 3, 2)
    mark_days_dirty(merchant_id=world.merchant.pk, days=[day], now=timezone.now())
    queued = AnalyticsDirtyDay.objects.get(merchant=world.merchant)
    # Marked again after the fold read it: the delete keeps it for the next fold.
    AnalyticsDirtyDay.objects.filter(pk=queued.pk).update(
        marked_at=queued.marked_at + dt.timedelta(seconds=1)
    )
    from fulfillment.analytics.services import dirty

    dirty.recompute_day(merchant=world.merchant, day=day)
    AnalyticsDirtyDay.objects.filter(pk=queued.pk, marked_at__lte=queued.marked_at).delete()
    assert AnalyticsDirtyDay.objects.filter(merchant=world.merchant, day=day).exists()


@pytest.mark.sqlite
@pytest.mark.django_db
def test_rebuild_command_rebuilds_a_range_and_says_how_many_days(capsys):
    world = make_world()
    write_history(world, EDGES)
    AnalyticsDay.objects.all().delete()
    call_command(
        "rebuild_analytics", str(world.merchant.pk), "--from", "2026-03-01", "--to", "2026-03-14"
    )
    assert "14 days" in capsys.readouterr().out
    assert sum(
        AnalyticsDay.objects.filter(merchant=world.merchant).values_list("orders", flat=True)
    ) == len(EDGES)
