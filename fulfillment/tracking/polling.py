"""Polling: the beat-driven planner, one batch of tracking numbers, and change feeds.

The planner claims due shipments by pushing their `next_poll_at` a lease ahead (rows locked
with SKIP LOCKED, so two planners never claim the same shipment) and fans out one task per
batch of the courier's size. The batch task stores what it learns and sets the real next poll;
a batch that never reports (its worker was killed) simply comes due again when the lease runs
out, and a batch delivered twice stores nothing twice (ingest.py). Change feeds keep their
cursor in PollCursor and advance it in the same transaction that stores the page's events.

Push subscriptions (UPS Track Alert): after a shipment is polled, a courier that can push is
asked to (subscribe_to_push); `push_subscribed_until` is then the day before the courier's
subscription ends, and until then the planner does not poll the shipment (it moves its next
poll to that day instead). When it comes due the shipment is polled once, which catches
anything a lost push missed, and subscribed again. A refused subscription keeps it polled.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from fulfillment.couriers.adapters.base import CourierAdapter, adapter_class
from fulfillment.couriers.adapters.errors import CourierError
from fulfillment.couriers.services import accounts as courier_service
from fulfillment.models import (
    CourierAccount,
    Notification,
    PollCursor,
    Shipment,
    ShipmentEvent,
)
from fulfillment.tracking.ingest import IngestReport, ingest_results, results_from_events
from fulfillment.tracking.intervals import LEASE
from fulfillment.tracking.queue import queue_options
from fulfillment.tracking.status import DONE_POLLING

logger = logging.getLogger(__name__)

PLAN_LIMIT = 200_000  # shipments claimed per planner run at most
CLAIM_CHUNK = 5_000
PUSH_FRESH = dt.timedelta(hours=1)  # a feed/webhook this recent makes polling a safety net
NOTIFICATION_GRACE = dt.timedelta(minutes=2)
NOTIFICATIONS_PER_TASK = 50
FEED_PAGES = 50  # pages per feed task run (the next beat tick carries on)
PUSH_RENEW_BEFORE = dt.timedelta(days=1)  # poll and subscribe again this long before it ends


@dataclass
class PlanReport:
    claimed: int = 0
    batches: int = 0
    feeds: int = 0
    skipped: int = 0
    pushed: int = 0  # due, but the courier pushes their events: next poll moved to renewal
    by_account: dict[int, int] = field(default_factory=dict)


def batch_size(account: CourierAccount) -> int:
    return adapter_class(account.courier).capabilities.track_batch_size


def plan_polls(
    *,
    now: dt.datetime | None = None,
    lease: dt.timedelta | None = None,
    limit: int = PLAN_LIMIT,
    notification_grace: dt.timedelta = NOTIFICATION_GRACE,
) -> PlanReport:
    """Claim the shipments due at `now` and queue their batches (and the feeds) after commit;
    queue again notifications whose sending task was lost (see requeue_notifications)."""
    from fulfillment.tracking.tasks import poll_tracking_changes

    now = now or timezone.now()
    lease = lease or dt.timedelta(
        seconds=getattr(settings, "NEARBOX_TRACKING_LEASE_SECONDS", LEASE.total_seconds())
    )
    report = PlanReport()
    accounts = {a.pk: a for a in CourierAccount.objects.filter(is_active=True)}
    adopt_booked(now=now)
    requeue_notifications(older_than=timezone.now() - notification_grace)
    options = queue_options()
    # Claimed and queued a chunk at a time, each chunk committed before its batches are queued:
    # at 100k due shipments one transaction kept the worker idle for the planner's 7 s.
    while report.claimed + report.skipped + report.pushed < limit:
        chunk = min(CLAIM_CHUNK, limit - report.claimed - report.skipped - report.pushed)
        due = _claim_chunk(accounts, now=now, lease=lease, size=chunk, report=report)
        if len(due) < chunk:
            break
    use_feeds = getattr(settings, "NEARBOX_TRACKING_USE_FEEDS", True)
    feeds = [
        a.pk
        for a in accounts.values()
        if use_feeds
        and adapter_class(a.courier).capabilities.has_change_feed
        and Shipment.objects.filter(account=a)
        .exclude(status__in=DONE_POLLING)
        .exclude(tracking_number="")
        .exists()
    ]
    report.feeds = len(feeds)

    def enqueue_feeds() -> None:
        for account_id in feeds:
            poll_tracking_changes.apply_async((account_id,), **options)

    transaction.on_commit(enqueue_feeds)  # at once unless a caller's transaction is open
    return report


def _claim_chunk(
    accounts: dict[int, CourierAccount],
    *,
    now: dt.datetime,
    lease: dt.timedelta,
    size: int,
    report: PlanReport,
) -> list[tuple[int, int]]:
    """Claim up to `size` due shipments (rows locked with SKIP LOCKED, next poll pushed a lease
    ahead) and queue their batches once the claim is committed."""
    from fulfillment.tracking.tasks import poll_tracking_batch

    with transaction.atomic():
        due = list(
            Shipment.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(next_poll_at__lte=now, account_id__in=list(accounts))
            .order_by("next_poll_at")
            .values_list("pk", "account_id", "push_subscribed_until")[:size]
        )
        by_account: dict[int, list[int]] = defaultdict(list)
        pushed: list[int] = []
        for pk, account_id, subscribed_until in due:
            if subscribed_until is not None and subscribed_until > now:
                pushed.append(pk)
            else:
                by_account[account_id].append(pk)
        # The courier pushes their events: look again when the subscription needs renewing.
        Shipment.objects.filter(pk__in=pushed).update(next_poll_at=F("push_subscribed_until"))
        report.pushed += len(pushed)
        unpollable: list[int] = []
        batches: list[tuple[int, list[int]]] = []
        for account_id, ids in by_account.items():
            batch = batch_size(accounts[account_id])
            if batch <= 0:  # a courier without a tracking API (driver link, webhooks only)
                unpollable.extend(ids)
                continue
            batches.extend((account_id, ids[i : i + batch]) for i in range(0, len(ids), batch))
            report.by_account[account_id] = report.by_account.get(account_id, 0) + len(ids)
        claimed = [pk for _, ids in batches for pk in ids]
        Shipment.objects.filter(pk__in=claimed).update(next_poll_at=now + lease)
        Shipment.objects.filter(pk__in=unpollable).update(next_poll_at=None)
        report.claimed += len(claimed)
        report.batches += len(batches)
        report.skipped += len(unpollable)
        options = queue_options()

        def enqueue() -> None:
            for account_id, ids in batches:
                poll_tracking_batch.apply_async((account_id, ids), **options)

        transaction.on_commit(enqueue)
    return [(pk, account_id) for pk, account_id, _ in due]


def requeue_notifications(*, older_than: dt.datetime) -> int:
    """Notifications still pending well after their row was made: the worker that was to queue
    their task died between commit and enqueue. Sending claims the row, so a second task for
    the same row sends nothing."""
    from fulfillment.tracking.tasks import send_tracking_notifications

    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(state=Notification.State.PENDING, queued_at__lt=older_than)
            .values_list("pk", flat=True)[:10_000]
        )
        # Queued again now: the next planner run leaves them alone for another grace period.
        Notification.objects.filter(pk__in=ids).update(queued_at=timezone.now())
    options = queue_options()
    for start in range(0, len(ids), NOTIFICATIONS_PER_TASK):
        send_tracking_notifications.apply_async(
            (ids[start : start + NOTIFICATIONS_PER_TASK],), **options
        )
    return len(ids)


def adopt_booked(*, now: dt.datetime) -> int:
    """Shipments booked since the last run (booking sets no poll time): due now."""
    return (
        Shipment.objects.filter(
            next_poll_at__isnull=True,
            last_polled_at__isnull=True,
            is_stuck=False,
            booked_at__isnull=False,
            cancelled_at__isnull=True,
        )
        .exclude(status__in=DONE_POLLING)
        .exclude(tracking_number="")
        .update(next_poll_at=now)
    )


def _pushed(account: CourierAccount, now: dt.datetime) -> bool:
    cursor = PollCursor.objects.filter(account=account).first()
    if cursor is None:
        return False
    latest = max(
        (t for t in (cursor.last_feed_at, cursor.last_webhook_at) if t is not None),
        default=None,
    )
    return latest is not None and now - latest < PUSH_FRESH


# One adapter per account and worker process, kept between tasks: building one (TLS context,
# HTTP pool, Redis connection of the rate limiter, decrypting credentials) cost more CPU than
# storing the 50-number batch it was built for. Any change to the account builds a new one.
_ADAPTERS: dict[int, tuple[tuple, CourierAdapter]] = {}


def adapter_for_polling(account: CourierAccount) -> CourierAdapter:
    key = (
        account.courier, account.base_url, account.requests_per_second,
        account.credentials_encrypted, account.updated_at, os.getpid(),
    )  # fmt: skip
    cached = _ADAPTERS.get(account.pk)
    if cached is not None and cached[0] == key:
        return cached[1]
    if cached is not None and cached[1]._http is not None and cached[0][-1] == os.getpid():
        cached[1]._http.close()
    adapter = courier_service.adapter_for(account)
    _ADAPTERS[account.pk] = (key, adapter)
    return adapter


@runtime_checkable
class PushSubscriber(Protocol):
    """An adapter whose courier can push a parcel's events for a while (UPS Track Alert)."""

    @property
    def can_push(self) -> bool: ...

    def subscribe_push(
        self, tracking_numbers: list[str], *, url: str, now: dt.datetime | None = None
    ) -> Any: ...


def webhook_url(account: CourierAccount) -> str:
    """Where the courier pushes this account's events (the courier webhook endpoint)."""
    return settings.NEARBOX_BASE_URL + reverse("courier_webhook", args=[account.webhook_token])


def subscribe_to_push(
    *, account: CourierAccount, adapter: PushSubscriber, shipment_ids: list[int], now: dt.datetime
) -> int:
    """Subscribe the still-moving shipments among these that have no running subscription, in
    one request per courier batch; returns how many the courier accepted. A failed request is
    logged and changes nothing: those shipments stay polled and are tried again next poll."""
    due = dict(
        Shipment.objects.filter(pk__in=shipment_ids, account=account, cancelled_at__isnull=True)
        .exclude(status__in=DONE_POLLING)
        .exclude(tracking_number="")
        .filter(Q(push_subscribed_until__isnull=True) | Q(push_subscribed_until__lte=now))
        .values_list("tracking_number", "pk")
    )
    if not due:
        return 0
    try:
        subscription = adapter.subscribe_push(list(due), url=webhook_url(account), now=now)
    except CourierError as error:
        logger.warning("push subscription for account %s failed: %s", account.pk, error)
        return 0
    renew_at = subscription.until - PUSH_RENEW_BEFORE
    accepted = [due[n] for n in subscription.subscribed if n in due]
    Shipment.objects.filter(pk__in=accepted).exclude(status__in=DONE_POLLING).update(
        push_subscribed_until=renew_at, next_poll_at=renew_at
    )
    return len(accepted)


def poll_batch(*, account_id: int, shipment_ids: list[int]) -> IngestReport:
    """Ask the courier about these shipments (one request per courier batch) and store it."""
    started = time.perf_counter()
    account = CourierAccount.objects.get(pk=account_id)
    now = timezone.now()
    Shipment.objects.filter(pk__in=shipment_ids).filter(
        Q(status__in=DONE_POLLING) | Q(cancelled_at__isnull=False) | Q(tracking_number="")
    ).update(next_poll_at=None)
    numbers = list(
        Shipment.objects.filter(pk__in=shipment_ids, account=account, cancelled_at__isnull=True)
        .exclude(status__in=DONE_POLLING)
        .exclude(tracking_number="")
        .values_list("tracking_number", flat=True)
    )
    if not numbers or not account.is_active:
        return IngestReport()
    adapter = adapter_for_polling(account)
    limiter = getattr(adapter._http, "rate_limiter", None)
    waited = getattr(limiter, "waited_s", 0.0)
    pushed = _pushed(account, now)  # a query: part of prep, not between two timed phases
    fetch_started = time.perf_counter()
    results = adapter.track(numbers)
    fetched = time.perf_counter()
    report = ingest_results(
        account=account,
        results=results,
        source=ShipmentEvent.Source.COURIER,
        polled=True,
        pushed=pushed,
    )
    if report.failed == len(numbers):
        error = next(iter(results.values()))
        courier_service.record_account_error(account=account, message=f"tracking: {error}")
    elif isinstance(adapter, PushSubscriber) and adapter.can_push:
        subscribe_to_push(account=account, adapter=adapter, shipment_ids=shipment_ids, now=now)
    rate_wait = getattr(limiter, "waited_s", 0.0) - waited
    report.timings.update(
        prep=fetch_started - started,
        rate_wait=rate_wait,
        fetch=fetched - fetch_started - rate_wait,
        total=time.perf_counter() - started,
    )
    _log_timings(len(numbers), report.timings)
    return report


def _log_timings(numbers: int, timings: dict[str, float]) -> None:
    """One JSON line per batch when NEARBOX_TRACKING_TIMINGS_FILE is set (bench/tracking.py
    sums them). Appends of one short line are atomic, so worker processes can share the file."""
    path = getattr(settings, "NEARBOX_TRACKING_TIMINGS_FILE", "")
    if not path:
        return
    line = json.dumps({"numbers": numbers, "end": time.time(), **timings}) + "\n"
    with open(path, "a") as out:
        out.write(line)


def poll_changes(*, account_id: int, max_pages: int = FEED_PAGES) -> int:
    """Read the account's change feed from its cursor; returns the events read.

    Each page is stored and the cursor moved in one transaction, so a crash re-reads at most
    one page (and stores nothing twice). A feed task already running holds the cursor row:
    a second one returns at once.
    """
    account = CourierAccount.objects.get(pk=account_id)
    PollCursor.objects.get_or_create(account=account, defaults={"merchant_id": account.merchant_id})
    adapter = adapter_for_polling(account)
    total = 0
    for _ in range(max_pages):
        with transaction.atomic():
            cursor = (
                PollCursor.objects.select_for_update(skip_locked=True)
                .filter(account=account)
                .first()
            )
            if cursor is None:
                return total
            try:
                batch = adapter.fetch_changes(cursor.cursor or None)
            except CourierError as error:
                cursor.last_error = str(error)[:500]
                cursor.save(update_fields=["last_error", "updated_at"])
                logger.warning("change feed of account %s failed: %s", account.pk, error)
                return total
            if batch.events:
                ingest_results(
                    account=account,
                    results=results_from_events(batch.events),
                    source=ShipmentEvent.Source.COURIER,
                    pushed=True,
                )
            cursor.cursor = batch.cursor
            cursor.last_feed_at = timezone.now()
            cursor.last_error = ""
            cursor.save(update_fields=["cursor", "last_feed_at", "last_error", "updated_at"])
        total += len(batch.events)
        if not batch.events:
            break
    return total
