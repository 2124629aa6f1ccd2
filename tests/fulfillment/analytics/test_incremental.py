"""Incremental upkeep (rollups.apply_orders and the dirty-order fold) equals a rebuild from the
source rows: random histories changed by random sequences of events, applied in random batches
(some twice, some late); a fold run twice equals once; two folds at once (threads, PostgreSQL)
equal once; tracking's ingest notes its batch with one Redis SADD, and the fold applies it from
Redis without losing a change to a failed or dead fold."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fulfillment.analytics.services import dirty, noted
from fulfillment.analytics.services.dirty import fold_dirty_days, mark_orders_dirty
from fulfillment.analytics.services.rollups import apply_orders, rebuild
from fulfillment.couriers.adapters import TrackingStatus as S
from fulfillment.models import Allocation, Order, Shipment, ShipmentEvent
from fulfillment.models.analytics import (
    AnalyticsDay,
    AnalyticsDirtyOrder,
    AnalyticsOrderRollup,
    AnalyticsReasonDay,
)
from fulfillment.tracking.ingest import ingest_results
from tests.fulfillment.analytics.history import (
    REASONS,
    ZIPS,
    history_st,
    make_world,
    order_st,
    write_history,
)
from tests.fulfillment.analytics.test_report_property import EDGES, rollup_snapshot
from tests.support.tracking import add_shipment, event, result, sandbox_account

MUTATIONS = (
    "deliver",
    "fail",
    "exception",
    "handle",
    "void",
    "unvoid",
    "release",
    "zip",
    "stuck",
    "return",
    "new_order",
    "delete_events",
)
step_st = st.tuples(
    st.sampled_from(MUTATIONS),
    st.integers(0, 10_000),  # which order / shipment
    st.sampled_from(["now", "now", "later", "twice"]),  # when the change is applied
    order_st,  # for new_order
)


EVENT_IDS = itertools.count()


def mutate(world, kind: str, pick: int, spec: dict) -> set[int]:
    """Change the source rows as an event would; returns the ids of the orders touched."""
    m = world.merchant
    orders = list(Order.objects.filter(merchant=m).order_by("pk").values_list("pk", flat=True))
    if kind == "new_order" or not orders:
        return {o.pk for o in write_history(world, [spec])}
    order_id = orders[pick % len(orders)]
    shipments = list(Shipment.objects.filter(order_id=order_id).order_by("pk"))
    if kind == "release":
        first = Allocation.objects.filter(order_id=order_id).order_by("pk").first()
        if first:
            Allocation.objects.filter(pk=first.pk).update(state="released")
        return {order_id}
    if kind == "zip":
        Order.objects.filter(pk=order_id).update(
            normalized_postal_code=ZIPS[pick % len(ZIPS)], postal_code=ZIPS[pick % len(ZIPS)]
        )
        return {order_id}
    if not shipments:
        return {order_id}
    s = shipments[pick % len(shipments)]
    base = s.booked_at or s.created_at
    if kind == "deliver":
        Shipment.objects.filter(pk=s.pk).update(
            status="delivered", delivered_at=base + dt.timedelta(hours=pick % 90)
        )
    elif kind in ("fail", "exception"):
        status = "failed_attempt" if kind == "fail" else "exception"
        ShipmentEvent.objects.create(
            merchant=m,
            shipment=s,
            # Unique for good: a count of events repeats once delete_events has run.
            event_id=f"mut{pick}-{next(EVENT_IDS)}",
            status=status,
            occurred_at=base + dt.timedelta(hours=pick % 40),
            reason_code=REASONS[pick % len(REASONS)],
            source="courier",
        )
        Shipment.objects.filter(pk=s.pk).update(status=status, delivered_at=None)
    elif kind == "handle":
        Shipment.objects.filter(pk=s.pk).update(exception_handled_at=base + dt.timedelta(hours=50))
    elif kind == "void":
        Shipment.objects.filter(pk=s.pk).update(voided_at=base + dt.timedelta(hours=1))
    elif kind == "unvoid":
        Shipment.objects.filter(pk=s.pk).update(voided_at=None)
    elif kind == "stuck":
        Shipment.objects.filter(pk=s.pk).update(is_stuck=not s.is_stuck)
    elif kind == "return":
        Shipment.objects.filter(pk=s.pk).update(status="returned", delivered_at=None)
    elif kind == "delete_events":
        ShipmentEvent.objects.filter(shipment=s).delete()
    return {order_id}


@pytest.mark.sqlite
@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    history=history_st,
    steps=st.lists(step_st, max_size=25),
    first_batch=st.integers(1, 12),
)
def test_random_events_applied_incrementally_equal_a_rebuild(history, steps, first_batch):
    world = make_world()
    m = world.merchant
    ids = [o.pk for o in write_history(world, history)]
    for at in range(0, len(ids), first_batch):  # the orders arrive in batches
        apply_orders(merchant=m, order_ids=ids[at : at + first_batch])
    later: set[int] = set()
    for kind, pick, when, spec in steps:
        touched = mutate(world, kind, pick, spec)
        if when == "later":
            later |= touched
            continue
        apply_orders(merchant=m, order_ids=touched)
        if when == "twice":
            assert apply_orders(merchant=m, order_ids=touched) == set()  # nothing left to add
    apply_orders(merchant=m, order_ids=later)
    incremental = rollup_snapshot(m)
    contributions = sorted(
        AnalyticsOrderRollup.objects.filter(merchant=m).values_list("order_id", "day", "zip")
    )
    rebuild(merchant=m)
    assert rollup_snapshot(m) == incremental
    assert (
        sorted(
            AnalyticsOrderRollup.objects.filter(merchant=m).values_list("order_id", "day", "zip")
        )
        == contributions
    )
    # No row is left with every counter at zero.
    assert not AnalyticsReasonDay.objects.filter(merchant=m, count=0).exists()
    assert not AnalyticsDay.objects.filter(merchant=m, orders=0, shipments=0).exists()


@pytest.mark.sqlite
@pytest.mark.django_db
def test_a_deleted_order_is_taken_out_and_an_all_zero_row_deleted():
    world = make_world()
    m = world.merchant
    orders = write_history(world, EDGES[:2])
    apply_orders(merchant=m, order_ids=[o.pk for o in orders])
    assert sum(AnalyticsDay.objects.filter(merchant=m).values_list("orders", flat=True)) == 2
    gone = orders[1].pk
    Shipment.objects.filter(order_id=gone).delete()
    Allocation.objects.filter(order_id=gone).delete()
    Order.objects.filter(pk=gone).delete()
    assert apply_orders(merchant=m, order_ids=[gone]) != set()
    assert sum(AnalyticsDay.objects.filter(merchant=m).values_list("orders", flat=True)) == 1
    assert not AnalyticsOrderRollup.objects.filter(order_id=gone).exists()
    once = rollup_snapshot(m)
    rebuild(merchant=m)
    assert rollup_snapshot(m) == once


@pytest.mark.sqlite
@pytest.mark.django_db
def test_a_fold_run_twice_equals_once():
    world = make_world()
    m = world.merchant
    ids = [o.pk for o in write_history(world, EDGES)]
    mark_orders_dirty(order_ids=ids)
    days = fold_dirty_days()
    assert days == len({o["day"] for o in EDGES})
    assert not AnalyticsDirtyOrder.objects.filter(merchant=m).exists()
    once = rollup_snapshot(m)
    mark_orders_dirty(order_ids=ids)  # a retried task, a duplicated signal
    assert fold_dirty_days() == 0  # nothing changed: nothing added
    assert fold_dirty_days() == 0
    assert rollup_snapshot(m) == once
    rebuild(merchant=m)
    assert rollup_snapshot(m) == once


@pytest.mark.django_db
def test_an_order_marked_again_while_folding_stays_queued():
    world = make_world()
    ids = [o.pk for o in write_history(world, EDGES[:1])]
    mark_orders_dirty(order_ids=ids)
    read = list(AnalyticsDirtyOrder.objects.values_list("pk", "order_id", "marked_at"))
    mark_orders_dirty(order_ids=ids, now=timezone.now() + dt.timedelta(seconds=1))
    dirty._delete_read(read)
    assert AnalyticsDirtyOrder.objects.filter(order_id=ids[0]).exists()


@pytest.mark.django_db(transaction=True)
def test_two_folds_at_once_equal_one():
    world = make_world()
    m = world.merchant
    ids = [o.pk for o in write_history(world, EDGES)]
    apply_orders(merchant=m, order_ids=ids)
    for step in range(6):
        mutate(world, ("deliver", "fail", "void", "zip", "exception", "release")[step], step, {})
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def fold() -> None:
        try:
            barrier.wait()
            apply_orders(merchant=m, order_ids=ids)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=fold) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    both = rollup_snapshot(m)
    rebuild(merchant=m)
    assert rollup_snapshot(m) == both


class CountingClient:
    """The real Redis client, counting the SADDs analytics sends."""

    def __init__(self, client) -> None:
        self.client, self.sadds = client, 0

    def sadd(self, *args):
        self.sadds += 1
        return self.client.sadd(*args)

    def __getattr__(self, name):
        return getattr(self.client, name)


@pytest.mark.django_db(transaction=True)
def test_an_ingest_batch_is_noted_with_one_sadd(merchant_a, monkeypatch):
    client, cache = noted._redis()
    assert client is not None, "the PostgreSQL run's cache is Redis (tests/settings.py)"
    counting = CountingClient(client)
    monkeypatch.setattr(noted, "_redis", lambda: (counting, cache))
    merchant = merchant_a.merchant
    account, service = sandbox_account(merchant)
    shipments = [add_shipment(account, service) for _ in range(5)]
    fold_dirty_days()
    now = timezone.now()
    results = {
        s.tracking_number: result(
            s.tracking_number, event(s.tracking_number, S.DELIVERED, now - dt.timedelta(hours=1))
        )
        for s in shipments
    }
    before = counting.sadds
    ingest_results(account=account, results=results, polled=True)
    assert counting.sadds - before == 1  # five status changes, one round trip
    # Noted with their merchant, so the fold groups them without a query.
    members = client.smembers(cache.make_and_validate_key(noted.PENDING_ORDERS))
    assert {m.decode() for m in members} == {f"{merchant.pk}:{s.order_id}" for s in shipments}
    assert not AnalyticsDirtyOrder.objects.filter(merchant=merchant).exists()  # no query, no row
    assert fold_dirty_days() == 1
    assert noted.pending(noted.PENDING_ORDERS) == 0
    assert not client.hgetall(cache.make_and_validate_key(noted.CLAIMS))  # claim released
    delivered = sum(
        AnalyticsDay.objects.filter(merchant=merchant).values_list("delivered", flat=True)
    )
    assert delivered == 5


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_without_redis_the_orders_are_marked_at_once(merchant_a):
    merchant = merchant_a.merchant
    locmem = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(CACHES=locmem):
        assert noted._redis()[0] is None
        account, service = sandbox_account(merchant)
        shipment = add_shipment(account, service)
        assert AnalyticsDirtyOrder.objects.filter(order_id=shipment.order_id).exists()
        n = shipment.tracking_number
        ingest_results(
            account=account,
            results={n: result(n, event(n, S.DELIVERED, timezone.now() - dt.timedelta(hours=1)))},
            polled=True,
        )
        assert fold_dirty_days() == 1
        assert (
            sum(AnalyticsDay.objects.filter(merchant=merchant).values_list("delivered", flat=True))
            == 1
        )
        assert noted.pending(noted.PENDING_SHIPMENTS) == 0


def _delivered(merchant) -> int:
    return sum(AnalyticsDay.objects.filter(merchant=merchant).values_list("delivered", flat=True))


def _deliver_noted(merchant, count: int) -> list[Shipment]:
    """`count` shipments delivered through tracking's ingest: noted in Redis, not yet folded."""
    account, service = sandbox_account(merchant)
    shipments = [add_shipment(account, service) for _ in range(count)]
    fold_dirty_days()
    now = timezone.now()
    ingest_results(
        account=account,
        results={
            s.tracking_number: result(
                s.tracking_number,
                event(s.tracking_number, S.DELIVERED, now - dt.timedelta(hours=2)),
            )
            for s in shipments
        },
        polled=True,
    )
    assert noted.pending(noted.PENDING_ORDERS) == count
    return shipments


@pytest.mark.django_db(transaction=True)
def test_a_failed_fold_gives_its_claim_back_and_the_next_fold_applies_it(merchant_a):
    merchant = merchant_a.merchant
    _deliver_noted(merchant, 3)

    def broken(**kwargs):
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        noted.fold_noted(apply=broken)
    assert noted.pending(noted.PENDING_ORDERS) == 3  # back where they were
    assert _delivered(merchant) == 0
    assert fold_dirty_days() == 1
    assert _delivered(merchant) == 3
    assert noted.pending(noted.PENDING_ORDERS) == 0


@pytest.mark.django_db(transaction=True)
def test_a_claim_left_by_a_dead_fold_is_taken_over_once_stale(merchant_a):
    merchant = merchant_a.merchant
    _deliver_noted(merchant, 2)
    # A fold claims the ids, then its worker is killed before it applies them.
    (dead,) = noted.claim(noted.PENDING_ORDERS)
    assert len(dead.ids) == 2 and noted.pending(noted.PENDING_ORDERS) == 0
    assert fold_dirty_days() == 0  # the claim may still be running: left alone
    assert _delivered(merchant) == 0
    later = time.time() + noted.STALE_CLAIM_SECONDS + 1
    assert noted.fold_noted(now=later) != set()
    assert _delivered(merchant) == 2
    assert noted.claim(noted.PENDING_ORDERS, now=later + 10_000) == []  # released


@pytest.mark.django_db(transaction=True)
def test_a_change_noted_while_the_fold_runs_waits_for_the_next_fold(merchant_a):
    merchant = merchant_a.merchant
    first, second = _deliver_noted(merchant, 2)
    noted.claim(noted.PENDING_ORDERS)  # both taken by a fold that died; not stale yet
    seen = []

    def apply_and_note(**kwargs):
        seen.append(kwargs["order_ids"])
        dirty.note_shipments([second.pk])  # tracking notes it again mid-fold
        return apply_orders(**kwargs)

    later = time.time() + noted.STALE_CLAIM_SECONDS + 1
    noted.fold_noted(apply=apply_and_note, now=later)
    assert sorted(seen[0]) == sorted([first.order_id, second.order_id])
    assert noted.pending(noted.PENDING_SHIPMENTS) == 1  # kept for the next fold
    assert _delivered(merchant) == 2


@pytest.mark.django_db(transaction=True)
def test_orders_noted_without_their_merchant_are_looked_up_and_junk_is_dropped(merchant_a):
    merchant = merchant_a.merchant
    (shipment,) = _deliver_noted(merchant, 1)
    noted.claim(noted.PENDING_ORDERS)  # the merchant-tagged member is out of the way
    assert noted.note(noted.PENDING_ORDERS, [str(shipment.order_id), "x:y", "12:"])
    later = time.time() + noted.STALE_CLAIM_SECONDS + 1
    touched = noted.fold_noted(now=later)
    assert {merchant_id for merchant_id, _day in touched} == {merchant.pk}
    assert _delivered(merchant) == 1
    assert noted.pending(noted.PENDING_ORDERS) == 0


def _day_total(merchant, counter: str) -> int:
    return sum(AnalyticsDay.objects.filter(merchant=merchant).values_list(counter, flat=True))


@pytest.mark.django_db(transaction=True)
def test_changes_no_status_shows_reach_the_rollups(merchant_a):
    """Marked handled (staff) and marked stuck (tracking's planner) change no status, but the
    exceptions-resolved and stuck figures count them: shipments_touched brings them in."""
    from fulfillment.tracking.actions import mark_handled

    merchant = merchant_a.merchant
    account, service = sandbox_account(merchant)
    broken, quiet = add_shipment(account, service), add_shipment(account, service)
    n = broken.tracking_number
    ingest_results(
        account=account,
        results={n: result(n, event(n, S.EXCEPTION, timezone.now() - dt.timedelta(hours=3)))},
        polled=True,
    )
    fold_dirty_days()
    assert _day_total(merchant, "exceptions") == 1
    assert _day_total(merchant, "exceptions_resolved") == 0

    mark_handled(shipment=broken)
    fold_dirty_days()
    assert _day_total(merchant, "exceptions_resolved") == 1
    assert _day_total(merchant, "exception_resolve_seconds") > 0

    # No event for far longer than the planner allows: marked stuck, status unchanged.
    q = quiet.tracking_number
    long_ago = timezone.now() - dt.timedelta(days=30)
    Shipment.objects.filter(pk=quiet.pk).update(
        status="in_transit", last_event_at=long_ago, booked_at=long_ago
    )
    ingest_results(
        account=account,
        results={q: result(q, event(q, S.IN_TRANSIT, long_ago))},
        polled=True,
        now=timezone.now(),
    )
    assert Shipment.objects.get(pk=quiet.pk).is_stuck
    fold_dirty_days()
    assert _day_total(merchant, "stuck") == 1


@pytest.mark.sqlite
@pytest.mark.django_db
def test_contributions_stored_with_the_counter_names_still_apply():
    """Rows written before migration 0022 name their counters and carry no version: the next
    change of their order subtracts them right and rewrites them with the codes."""
    import json

    from fulfillment.models.analytics import CODE_COUNTERS

    world = make_world()
    m = world.merchant
    ids = [o.pk for o in write_history(world, EDGES)]
    apply_orders(merchant=m, order_ids=ids)
    for row in AnalyticsOrderRollup.objects.filter(merchant=m):
        stored = json.loads(row.rows)
        assert stored.pop("v") == 2
        stored["d"] = [[k, {CODE_COUNTERS[c]: v for c, v in n.items()}] for k, n in stored["d"]]
        row.rows = json.dumps(stored)
        row.save(update_fields=["rows"])
    for step in range(6):
        mutate(world, ("deliver", "fail", "void", "zip", "exception", "release")[step], step, {})
    apply_orders(merchant=m, order_ids=ids)
    applied = rollup_snapshot(m)
    assert all('"v":2' in r for r in AnalyticsOrderRollup.objects.values_list("rows", flat=True))
    rebuild(merchant=m)
    assert rollup_snapshot(m) == applied
