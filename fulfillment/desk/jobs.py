"""The ship run's job handler (registered on import by FulfillmentConfig.ready)."""

from __future__ import annotations

from django.urls import reverse

from fulfillment.desk.services import ship_runs
from merchant.models import Job
from merchant.services.jobs import Progress, job_handler


@job_handler(ship_runs.JOB_KIND, title="Ship selected orders")
def ship_selected(job: Job, progress: Progress) -> dict:
    """Idempotent: booked items are not booked again and a stored PDF is kept (services)."""
    run = ship_runs.run_ship_run(run_id=job.params["run_id"], progress=progress)
    message = f"{run.booked} booked"
    if run.failed:
        message += f", {run.failed} failed"
    if run.skipped:
        message += f", {run.skipped} skipped"
    return {
        "run_id": run.pk,
        "booked": run.booked,
        "failed": run.failed,
        "skipped": run.skipped,
        "message": message,
        "url": reverse("ship_run_detail", args=[run.pk]),
    }
