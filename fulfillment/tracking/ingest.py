"""Storing what couriers tell us and deriving each shipment's state from its events.

One call handles a batch of tracking results for one courier account (a polled batch, a page
of the change feed, a webhook) in a fixed number of queries whatever its size:

1. lock the batch's shipments (SELECT … FOR UPDATE, in primary-key order: no deadlocks with a
   webhook for the same parcels);
2. insert every event once (bulk insert, ON CONFLICT DO NOTHING on (shipment, event_id));
3. read back all events of those shipments and fold them into the status (status.py);
4. update the shipments (status, timestamps, ETA, next poll) in one statement;
5. move each changed shipment's order on (orders/services/status.py: forward only, the orders
   locked in id order);
6. create the notification rows the transitions call for (unique per shipment and kind, and
   never one earlier than the order's state or a message already sent) and queue their
   sending after commit; send `shipment_status_changed` after commit.

Running it twice with the same results changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from fulfillment.couriers.adapters.errors import CourierError, TrackingNotFound
from fulfillment.couriers.adapters.types import TrackingEvent, TrackingResult, TrackingStatus
from fulfillment.models import (
    CourierAccount,
    EtaSource,
    Notification,
    NotificationSettings,
    Shipment,
    ShipmentEvent,
)
from fulfillment.orders.services import status as order_status
from fulfillment.tracking import eta as eta_model
from fulfillment.tracking.intervals import next_poll, retry_at
from fulfillment.tracking.notifications import QUEUED_OR_SENT, sent_kinds
from fulfillment.tracking.queue import queue_options
from fulfillment.tracking.signals import (
    shipment_status_changed,
    shipment_statuses_changed,
    shipments_touched,
)
from fulfillment.tracking.status import StoredEvent, fold, notification_kind

logger = logging.getLogger(__name__)

UPDATED_FIELDS = [
    "status", "status_changed_at", "status_reason", "status_text", "last_event_at",
    "handed_over_at", "delivered_at", "is_stuck", "eta_from", "eta_until", "eta_confidence",
    "eta_source", "next_poll_at", "last_polled_at", "poll_failures", "last_error",
]  # fmt: skip


@dataclass
class IngestReport:
    shipments: int = 0  # shipments of ours the batch was about
    events_seen: int = 0  # distinct events in the batch (before dedupe against the database)
    transitions: list[tuple[int, str, str]] = field(default_factory=list)
    transition_orders: list[int] = field(default_factory=list)  # each transition's order
    stuck_flipped: list[tuple[int, int]] = field(default_factory=list)  # (shipment, order)
    notifications: list[int] = field(default_factory=list)
    failed: int = 0
    unknown_numbers: int = 0
    # Seconds per phase (lock, insert, read, fold, write, notify, commit): where a batch waits.
    timings: dict[str, float] = field(default_factory=dict)


EVENT_COLUMNS = (
    "merchant_id", "shipment_id", "event_id", "status", "occurred_at", "courier_code",
    "courier_description", "location", "reason_code", "source", "proof", "created_at",
)  # fmt: skip
_EVENT_CASTS = (
    "bigint", "bigint", "text", "text", "timestamptz", "text",
    "text", "text", "text", "text", "text", "timestamptz",
)  # fmt: skip


def _event_row(
    shipment: Shipment, event: TrackingEvent, source: str, now: dt.datetime, proof: str = ""
) -> tuple:
    return (
        shipment.merchant_id,
        shipment.pk,
        event.event_id[:100],
        event.status.value,
        event.occurred_at,
        event.courier_code[:64],
        event.courier_description[:300],
        event.location[:200],
        (event.reason_code or "")[:64],
        source,
        proof,
        now,
    )


def insert_events(rows: list[tuple]) -> None:
    """Insert event rows (EVENT_COLUMNS order), each once: ON CONFLICT (shipment, event_id)
    DO NOTHING. On PostgreSQL one INSERT … SELECT FROM unnest(arrays) built by hand: Django's
    bulk_create spent more CPU preparing its model instances and per-value SQL than the rest
    of a batch's storing."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        ShipmentEvent.objects.bulk_create(
            [ShipmentEvent(**dict(zip(EVENT_COLUMNS, row, strict=True))) for row in rows],
            ignore_conflicts=True,
        )
        return
    arrays = ", ".join(f"%s::{cast}[]" for cast in _EVENT_CASTS)
    sql = (
        f'INSERT INTO "{ShipmentEvent._meta.db_table}" ({", ".join(EVENT_COLUMNS)}) '
        f"SELECT * FROM unnest({arrays}) ON CONFLICT (shipment_id, event_id) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)])


def results_from_events(events: Iterable[TrackingEvent]) -> dict[str, TrackingResult]:
    """Group loose events (a feed page, a webhook) into one TrackingResult per number."""
    by_number: dict[str, list[TrackingEvent]] = defaultdict(list)
    for event in events:
        by_number[event.tracking_number].append(event)
    return {n: TrackingResult.from_events(n, evs) for n, evs in by_number.items()}


def ingest_results(
    *,
    account: CourierAccount,
    results: Mapping[str, TrackingResult | CourierError],
    source: str = ShipmentEvent.Source.COURIER,
    polled: bool = False,
    pushed: bool = False,
    now: dt.datetime | None = None,
    proofs: Mapping[str, str] | None = None,
) -> IngestReport:
    """Store a batch of results for `account` and move its shipments on (see module doc).

    `polled`: the batch answers our poll (sets last_polled_at and the next poll for every
    shipment in it). `pushed`: the account pushes or feeds changes (poll as a safety net only).
    `proofs`: stored file names of delivery proofs by event id (the driver page's photo).
    """
    now = now or timezone.now()
    rng = random.Random()
    report = IngestReport()
    lap = _Lap(report.timings)
    numbers = [n for n in results if n]
    if not numbers:
        return report
    with transaction.atomic():
        shipments = list(
            Shipment.objects.select_for_update(of=("self",))
            .filter(account=account, tracking_number__in=numbers)
            .select_related("order")
            .order_by("pk")
        )
        lap("lock")
        report.shipments = len(shipments)
        report.unknown_numbers = len(set(numbers)) - len(shipments)
        if not shipments:
            return report
        by_number = {s.tracking_number: s for s in shipments}

        rows = []
        proofs = proofs or {}
        for number, shipment in by_number.items():
            result = results[number]
            if isinstance(result, TrackingResult):
                rows.extend(
                    _event_row(shipment, e, source, now, proofs.get(e.event_id, ""))
                    for e in result.unique_events
                )
        report.events_seen = len(rows)
        insert_events(rows)
        lap("insert")

        stored: dict[int, list[StoredEvent]] = defaultdict(list)
        for shipment_id, status, at, pk, src, reason, text in ShipmentEvent.objects.filter(
            shipment_id__in=[s.pk for s in shipments]
        ).values_list(
            "shipment_id", "status", "occurred_at", "pk", "source", "reason_code",
            "courier_description",
        ):  # fmt: skip
            stored[shipment_id].append(
                StoredEvent(TrackingStatus(status), at, pk, src, reason, text)
            )
        lap("read")

        needs_history = [
            s
            for s in shipments
            if not (
                isinstance(results[s.tracking_number], TrackingResult)
                and results[s.tracking_number].estimated_delivery
            )
            and s.eta_source != EtaSource.COURIER
        ]
        table = origins = None
        if needs_history:
            table = eta_model.eta_table_for(account.merchant_id, now=now)
            origins = eta_model.origins_for_orders({s.order_id for s in needs_history})

        for shipment in shipments:
            result = results[shipment.tracking_number]
            old = TrackingStatus(shipment.status)
            folded = fold(stored[shipment.pk], start=TrackingStatus.PENDING)
            new = folded.status if stored[shipment.pk] else old
            if new is not old:
                shipment.status = new.value
                shipment.status_changed_at = folded.changed_at or now
                report.transitions.append((shipment.pk, old.value, new.value))
                report.transition_orders.append(shipment.order_id)
            shipment.status_reason = folded.reason[:64]
            shipment.status_text = folded.text[:300]
            latest = folded.last_courier_event_at
            if latest and (shipment.last_event_at is None or latest > shipment.last_event_at):
                shipment.last_event_at = latest
                if shipment.is_stuck:
                    report.stuck_flipped.append((shipment.pk, shipment.order_id))
                shipment.is_stuck = False
            shipment.handed_over_at = shipment.handed_over_at or folded.handed_over_at
            shipment.delivered_at = shipment.delivered_at or folded.delivered_at
            if isinstance(result, TrackingResult):
                _set_eta(shipment, result, table, origins, now)
                shipment.poll_failures = 0
                shipment.last_error = ""
            elif isinstance(result, CourierError) and not isinstance(result, TrackingNotFound):
                report.failed += 1
                shipment.poll_failures = min(shipment.poll_failures + 1, 1000)
                shipment.last_error = str(result)[:500]
            if polled:
                shipment.last_polled_at = now
            if shipment.cancelled_at is not None:
                shipment.next_poll_at = None
            elif isinstance(result, CourierError) and not isinstance(result, TrackingNotFound):
                shipment.next_poll_at = retry_at(now, shipment.poll_failures, rng)
            elif polled or new is not old or shipment.next_poll_at is None:
                plan = next_poll(
                    status=new, now=now, last_event_at=shipment.last_event_at,
                    booked_at=shipment.booked_at, pushed=pushed, rng=rng,
                )  # fmt: skip
                shipment.next_poll_at = plan.at
                if plan.stuck and not shipment.is_stuck:
                    report.stuck_flipped.append((shipment.pk, shipment.order_id))
                    shipment.is_stuck = True
        lap("fold")
        write_states(shipments)
        lap("write")

        _follow_orders(shipments, report)  # timed with "notify": it decides what is sent
        report.notifications = _queue_notifications(account.merchant_id, shipments, report)
        transitions, orders = list(report.transitions), list(report.transition_orders)
        flipped = list(report.stuck_flipped)
        transaction.on_commit(lambda: _announce(transitions, orders, flipped, account.merchant_id))
        lap("notify")
    lap("commit")  # includes the on_commit hooks (queueing the notification task)
    return report


class _Lap:
    """Adds the seconds since the previous call to timings[name]."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings, self.last = timings, time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - self.last
        self.last = now


_CASTS = {
    "DateTimeField": "timestamptz", "BooleanField": "boolean", "FloatField": "double precision",
    "PositiveSmallIntegerField": "integer", "CharField": "text",
}  # fmt: skip


def write_states(shipments: list[Shipment]) -> None:
    """Write UPDATED_FIELDS of every shipment in one statement.

    On PostgreSQL an UPDATE … FROM (VALUES …): Django's bulk_update builds a CASE per field and
    row, which cost two thirds of a 50-shipment batch's time. Elsewhere, bulk_update.
    """
    if connection.vendor != "postgresql":
        Shipment.objects.bulk_update(shipments, UPDATED_FIELDS)
        return
    fields = [Shipment._meta.get_field(name) for name in UPDATED_FIELDS]
    columns = ", ".join(f.column for f in fields)
    assignments = ", ".join(
        f'"{f.column}" = v."{f.column}"::{_CASTS[f.get_internal_type()]}' for f in fields
    )
    row = "(%s, " + ", ".join(["%s"] * len(fields)) + ")"
    params: list = []
    for shipment in shipments:
        params.append(shipment.pk)
        params.extend(f.get_db_prep_save(getattr(shipment, f.attname), connection) for f in fields)
    sql = (
        f'UPDATE "{Shipment._meta.db_table}" AS s SET {assignments} '
        f"FROM (VALUES {', '.join([row] * len(shipments))}) AS v(id, {columns}) "
        "WHERE s.id = v.id::bigint"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _set_eta(shipment, result: TrackingResult, table, origins, now: dt.datetime) -> None:
    status = TrackingStatus(shipment.status)
    if status.is_terminal:
        return
    if result.estimated_delivery:
        shipment.eta_from = result.estimated_delivery.start
        shipment.eta_until = result.estimated_delivery.end
        shipment.eta_source, shipment.eta_confidence = EtaSource.COURIER, None
        return
    if shipment.eta_source == EtaSource.COURIER or table is None:
        return
    at = shipment.status_changed_at or now
    origin, distance = (origins or {}).get(shipment.order_id, (None, None))
    window = table.predict(
        eta_model.conditions(
            courier=shipment.account_id,
            service=shipment.service_id,
            origin=origin,
            distance_m=distance,
            at=at,
            status=status.value,
            event=shipment.status_text,
        ),
        at,
    )
    if window is None:
        return
    if window.end < now:  # the parcel is already later than the history says: widen to now
        window = eta_model.EtaWindow(now, now + (window.end - window.start), window.confidence)
    shipment.eta_from, shipment.eta_until = window.start, window.end
    shipment.eta_source, shipment.eta_confidence = EtaSource.HISTORY, window.confidence


def _follow_orders(shipments: list[Shipment], report: IngestReport) -> None:
    """Move the orders of the shipments whose status changed; the notification check below
    reads the orders' states (locked until commit)."""
    changed = {pk for pk, _, _ in report.transitions}
    statuses = order_status.follow_shipments(s for s in shipments if s.pk in changed)
    for shipment in shipments:
        if shipment.order_id in statuses:
            shipment.order.status = statuses[shipment.order_id]


def _queue_notifications(merchant_id: int, shipments, report: IngestReport) -> list[int]:
    changed = {pk: (old, new) for pk, old, new in report.transitions}
    wanted = []
    for shipment in shipments:
        if shipment.pk not in changed or shipment.cancelled_at is not None:
            continue
        old, new = changed[shipment.pk]
        kind = notification_kind(TrackingStatus(old), TrackingStatus(new))
        if kind:
            wanted.append((shipment, kind))
    if wanted:
        sent = sent_kinds([s.pk for s, _ in wanted], states=QUEUED_OR_SENT)
        wanted = [
            (s, kind)
            for s, kind in wanted
            if order_status.message_allowed(
                order=s.order, kind=kind, sent_kinds=sent[s.pk], parcel_status=s.status
            )
        ]
    if not wanted:
        return []
    prefs = NotificationSettings.objects.filter(merchant_id=merchant_id).first()
    prefs = prefs or NotificationSettings(merchant_id=merchant_id)
    rows = [
        Notification(merchant_id=merchant_id, shipment_id=s.pk, kind=kind)
        for s, kind in wanted
        if prefs.allows(kind) and (s.order.shopper_email or s.order.shopper_phone)
    ]
    if not rows:
        return []
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(
        Notification.objects.filter(
            shipment_id__in=[r.shipment_id for r in rows],
            kind__in={r.kind for r in rows},
            state=Notification.State.PENDING,
        ).values_list("pk", flat=True)
    )
    if ids:
        from fulfillment.tracking.tasks import send_tracking_notifications

        # One task for the batch's messages: a task per message cost a broker round trip
        # each, a quarter of a batch's time.
        options = queue_options()
        transaction.on_commit(lambda: send_tracking_notifications.apply_async((ids,), **options))
    return ids


def _announce(
    transitions: list[tuple[int, str, str]],
    order_ids: list[int],
    stuck_flipped: list[tuple[int, int]],
    merchant_id: int,
) -> None:
    for shipment_id, old, new in transitions:
        shipment_status_changed.send(
            sender=Shipment,
            shipment_id=shipment_id,
            old_status=old,
            new_status=new,
            merchant_id=merchant_id,
            batched=True,
        )
    if transitions:
        shipment_statuses_changed.send(
            sender=Shipment,
            shipment_ids=[shipment_id for shipment_id, _old, _new in transitions],
            order_ids=order_ids,
            merchant_id=merchant_id,
        )
    if stuck_flipped:  # a parcel marked stuck, or moving again: no status changed
        shipments_touched.send(
            sender=Shipment,
            shipment_ids=[shipment_id for shipment_id, _order_id in stuck_flipped],
            order_ids=[order_id for _shipment_id, order_id in stuck_flipped],
            merchant_id=merchant_id,
        )
