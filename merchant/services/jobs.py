"""Long background jobs with progress: one way for every app to run one.

An app registers a handler for a job kind (`@job_handler("labels.batch", title=...)`);
`start_job()` makes the Job row and queues the Celery task once the transaction commits;
the task calls `run_job()`, which claims the row, hands the handler a `Progress` to report
through, and records the outcome. Handlers must be idempotent: a job may run again after a
transient error or a worker that died mid-way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from merchant.models import Job, Merchant, User

logger = logging.getLogger(__name__)

# A running job whose worker has not reported for this long is taken to be dead.
JOB_LEASE = timedelta(seconds=90)


class TransientJobError(Exception):
    """The job may succeed if tried again later (a service was down, a lock was busy)."""


class JobFailed(Exception):
    """The job cannot succeed as asked; the message is shown to the merchant."""


class JobBusy(Exception):
    """Another worker holds a live lease on this job; try the message again later."""


@dataclass(frozen=True)
class JobSpec:
    kind: str
    title: str
    handler: Callable[[Job, Progress], dict[str, Any] | None]


_registry: dict[str, JobSpec] = {}


def job_handler(kind: str, *, title: str) -> Callable:
    """Register `func(job, progress) -> result dict | None` as the handler of `kind`."""

    def register(func: Callable[[Job, Progress], dict[str, Any] | None]) -> Callable:
        _registry[kind] = JobSpec(kind=kind, title=title, handler=func)
        return func

    return register


class Progress:
    """What a handler reports through; each call is one UPDATE and renews the lease."""

    def __init__(self, job: Job) -> None:
        self.job = job

    def set_total(self, total: int, message: str = "") -> None:
        self._write(total=max(0, total), done=0, message=message)

    def advance(self, steps: int = 1, message: str = "") -> None:
        self.job.done = min(self.job.done + steps, self.job.total or self.job.done + steps)
        self._write(done=self.job.done, message=message)

    def update(self, done: int, message: str = "") -> None:
        """Set absolute progress (for work whose steps are fractions, like a solver)."""
        self.job.done = max(0, min(done, self.job.total or done))
        self._write(done=self.job.done, message=message)

    def _write(self, **fields: Any) -> None:
        fields = {k: v for k, v in fields.items() if not (k == "message" and not v)}
        for name, value in fields.items():
            setattr(self.job, name, value)
        self.job.heartbeat_at = timezone.now()
        Job.objects.filter(pk=self.job.pk).update(heartbeat_at=self.job.heartbeat_at, **fields)


def start_job(
    *,
    merchant: Merchant,
    kind: str,
    params: dict[str, Any] | None = None,
    user: User | None = None,
    title: str = "",
) -> Job:
    spec = _registry.get(kind)
    if spec is None:
        raise ValidationError(f"There is no job called {kind!r}.", code="kind")
    with transaction.atomic():
        job = Job.objects.create(
            merchant=merchant,
            kind=kind,
            title=title or spec.title,
            params=params or {},
            created_by=user if user and user.is_authenticated else None,
        )
        _enqueue_on_commit(job)
    return job


def retry_job(*, job: Job) -> Job:
    """Queue a failed job again from the start."""
    with transaction.atomic():
        updated = Job.objects.filter(pk=job.pk, state=Job.State.FAILED).update(
            state=Job.State.QUEUED, done=0, error="", message="Queued again", finished_at=None
        )
        if not updated:
            raise ValidationError("Only a failed job can be retried.", code="state")
        _enqueue_on_commit(job)
    job.refresh_from_db()
    return job


def _enqueue_on_commit(job: Job) -> None:
    from merchant.tasks import run_job_task  # tasks stand on services, not the other way

    # The kind picks the job's queue (config/queues.py: a label batch never waits behind an
    # import, and neither waits behind the other).
    run_job_task.delay_on_commit(job.pk, kind=job.kind)


def run_job(job_id: int) -> Job | None:
    """Claim the job and run its handler. Returns None when there is nothing to do.

    Raises TransientJobError (the caller retries later) or JobBusy (another worker has it).
    """
    now = timezone.now()
    claimable = Q(state=Job.State.QUEUED) | Q(
        state=Job.State.RUNNING, heartbeat_at__lt=now - JOB_LEASE
    )
    claimed = Job.objects.filter(claimable, pk=job_id).update(
        state=Job.State.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        message="Started",
    )
    if not claimed:
        state = Job.objects.filter(pk=job_id).values_list("state", flat=True).first()
        if state == Job.State.RUNNING:
            raise JobBusy(f"Job {job_id} is running elsewhere.")
        logger.info("job %s: nothing to do (state %s)", job_id, state)
        return None

    job = Job.objects.get(pk=job_id)
    spec = _registry.get(job.kind)
    try:
        if spec is None:
            raise JobFailed(f"This Nearbox no longer knows how to run {job.kind!r} jobs.")
        result = spec.handler(job, Progress(job)) or {}
    except TransientJobError as exc:
        Job.objects.filter(pk=job_id).update(
            state=Job.State.QUEUED, message=f"Will try again: {exc}"[:255]
        )
        raise
    except JobFailed as exc:
        return _finish(job, state=Job.State.FAILED, error=str(exc))
    except Exception as exc:
        logger.exception("job %s (%s) failed", job_id, job.kind)
        return _finish(job, state=Job.State.FAILED, error=f"Unexpected error: {exc}")
    return _finish(job, state=Job.State.SUCCEEDED, result=result)


def give_up_job(job_id: int, reason: str) -> None:
    """Mark a job failed after its transient errors ran out of retries."""
    Job.objects.filter(pk=job_id).exclude(state__in=Job.FINISHED_STATES).update(
        state=Job.State.FAILED, error=reason, finished_at=timezone.now()
    )


def _finish(job: Job, *, state: str, result: dict | None = None, error: str = "") -> Job:
    fields: dict[str, Any] = {"state": state, "finished_at": timezone.now(), "error": error}
    if state == Job.State.SUCCEEDED:
        fields.update(
            result=result or {},
            result_url=str((result or {}).get("url", "")),
            message=str((result or {}).get("message", "Done")),
            done=job.total or job.done,
        )
    else:
        fields["message"] = "Failed"
    Job.objects.filter(pk=job.pk).update(**fields)
    job.refresh_from_db()
    return job
