"""Celery tasks of the merchant app: thin wrappers over services."""

from celery import shared_task
from celery.signals import beat_init
from celery.utils.time import get_exponential_backoff_interval

from merchant.services import health, jobs

MAX_TRANSIENT_RETRIES = 5


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def run_job_task(self, job_id: int, kind: str = "") -> None:
    """Run a Job; `kind` only routes the message to its queue (config/queues.py)."""
    try:
        jobs.run_job(job_id)
    except jobs.JobBusy as exc:
        # A live worker has the job: look again once its lease could have run out.
        raise self.retry(exc=exc, countdown=int(jobs.JOB_LEASE.total_seconds())) from exc
    except jobs.TransientJobError as exc:
        if self.request.retries >= MAX_TRANSIENT_RETRIES:
            jobs.give_up_job(job_id, f"Gave up after {self.request.retries + 1} tries: {exc}")
            return
        countdown = get_exponential_backoff_interval(
            factor=2, retries=self.request.retries, maximum=300, full_jitter=True
        )
        raise self.retry(exc=exc, countdown=max(1, countdown)) from exc


@shared_task(ignore_result=True)
def record_beat_tick() -> None:
    health.record_heartbeat("beat")


@beat_init.connect
def record_tick_at_beat_start(**kwargs) -> None:
    # /healthz would otherwise report beat as down for its first interval after a start.
    health.record_heartbeat("beat")
