"""Retention: how long each growing table keeps its rows, and the batched deletes that enforce it.

Each policy names its setting (days; 0 keeps rows for ever) and a purge function that deletes
rows older than a cut-off in batches of NEARBOX_RETENTION_BATCH rows, one short transaction per
batch, until none is left or the run's deadline passes. Deleting is idempotent: a run stopped
half-way (deadline, worker killed) leaves the rest to the next one. Higher apps register their
own policies (integrations/housekeeping.py) since fulfillment cannot import them.

Policies here: courier webhook receipts, finished jobs, and (off by default) the tracking history
of long-finished shipments. Notifications are kept with their shipment: at most one per shipment
and kind, and the row is what stops a message from being sent twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from fulfillment.models import Shipment, ShipmentEvent, WebhookReceipt
from fulfillment.tracking.status import FINAL_STATUSES
from merchant.models import Job

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deadline:
    """When a run stops deleting (time.monotonic())."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(at=time.monotonic() + seconds)

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self.at


# purge(cutoff=..., batch_size=..., deadline=...) -> rows deleted
Purge = Callable[..., int]


@dataclass(frozen=True)
class RetentionPolicy:
    name: str
    setting: str  # days to keep; 0 keeps for ever
    purge: Purge


POLICIES: dict[str, RetentionPolicy] = {}


def register(policy: RetentionPolicy) -> None:
    POLICIES[policy.name] = policy


def delete_in_batches(
    queryset: QuerySet, *, order_by: str, batch_size: int, deadline: Deadline
) -> int:
    """Delete the rows of `queryset` oldest first, `batch_size` at a time, until none is left
    or the deadline passes. The DELETE repeats the queryset's conditions, so a row that changed
    since it was picked (a webhook queued again, a job restarted) stays."""
    deleted = 0
    while not deadline.passed:
        with transaction.atomic():
            pks = list(queryset.order_by(order_by).values_list("pk", flat=True)[:batch_size])
            if not pks:
                break
            queryset.filter(pk__in=pks).delete()
        deleted += len(pks)
        if len(pks) < batch_size:
            break
    return deleted


def purge_webhook_receipts(*, cutoff: dt.datetime, batch_size: int, deadline: Deadline) -> int:
    old = WebhookReceipt.objects.filter(received_at__lt=cutoff)
    return delete_in_batches(old, order_by="received_at", batch_size=batch_size, deadline=deadline)


def purge_jobs(*, cutoff: dt.datetime, batch_size: int, deadline: Deadline) -> int:
    old = Job.objects.filter(state__in=Job.FINISHED_STATES, finished_at__lt=cutoff)
    return delete_in_batches(old, order_by="pk", batch_size=batch_size, deadline=deadline)


def finished_before(cutoff: dt.datetime) -> Q:
    """Shipments that stopped moving before `cutoff`: delivered, returned, expired or cancelled."""
    return Q(status__in=FINAL_STATUSES, status_changed_at__lt=cutoff) | Q(cancelled_at__lt=cutoff)


def purge_tracking_events(*, cutoff: dt.datetime, batch_size: int, deadline: Deadline) -> int:
    """Thin the history of shipments finished before `cutoff` to its last event; an event with a
    proof of delivery stays. A shipment still in progress keeps every event."""
    later = ShipmentEvent.objects.filter(shipment_id=OuterRef("shipment_id")).filter(
        Q(occurred_at__gt=OuterRef("occurred_at"))
        | Q(occurred_at=OuterRef("occurred_at"), pk__gt=OuterRef("pk"))
    )
    finished = Shipment.objects.filter(finished_before(cutoff), pk=OuterRef("shipment_id"))
    no_proof = Q(proof="") | Q(proof__isnull=True)
    old = ShipmentEvent.objects.filter(
        no_proof, Exists(finished), Exists(later), created_at__lt=cutoff
    )
    return delete_in_batches(old, order_by="created_at", batch_size=batch_size, deadline=deadline)


register(
    RetentionPolicy(
        "webhook_receipts", "NEARBOX_RETENTION_WEBHOOK_RECEIPTS_DAYS", purge_webhook_receipts
    )
)
register(RetentionPolicy("jobs", "NEARBOX_RETENTION_JOBS_DAYS", purge_jobs))
register(
    RetentionPolicy(
        "tracking_events", "NEARBOX_RETENTION_TRACKING_EVENTS_DAYS", purge_tracking_events
    )
)


@dataclass
class RetentionRun:
    deleted: dict[str, int]
    finished: bool  # False: the deadline passed first; the next run goes on


def enforce_retention(
    *,
    now: dt.datetime | None = None,
    batch_size: int | None = None,
    seconds: float | None = None,
) -> RetentionRun:
    """Delete what every policy no longer keeps, within `seconds` (NEARBOX_RETENTION_SECONDS)."""
    now = now or timezone.now()
    batch_size = batch_size or settings.NEARBOX_RETENTION_BATCH
    deadline = Deadline.after(settings.NEARBOX_RETENTION_SECONDS if seconds is None else seconds)
    deleted: dict[str, int] = {}
    for policy in POLICIES.values():
        days = int(getattr(settings, policy.setting, 0) or 0)
        if days <= 0:
            continue
        if deadline.passed:
            return RetentionRun(deleted=deleted, finished=False)
        cutoff = now - dt.timedelta(days=days)
        deleted[policy.name] = policy.purge(cutoff=cutoff, batch_size=batch_size, deadline=deadline)
        if deleted[policy.name]:
            logger.info(
                "retention: %s: %d rows older than %s deleted",
                policy.name,
                deleted[policy.name],
                cutoff,
            )
    return RetentionRun(deleted=deleted, finished=not deadline.passed)
