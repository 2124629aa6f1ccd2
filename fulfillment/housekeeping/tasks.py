"""The hourly retention run (config/beat.py). Idempotent: a run stopped half-way, or two runs at
once, delete each old row once and leave the rest to the next run."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True, name="fulfillment.tasks.enforce_retention")
def enforce_retention() -> dict[str, int]:
    from fulfillment.housekeeping.services.retention import enforce_retention as run

    return run().deleted
