"""The plan job's handler (registered on import by fulfillment/jobs.py)."""

from __future__ import annotations

from django.urls import reverse

from fulfillment.fleet.plans.services import planning
from merchant.models import Job
from merchant.services.jobs import JobFailed, Progress, job_handler


@job_handler(planning.JOB_KIND, title="Plan a wave of own deliveries")
def plan_wave(job: Job, progress: Progress) -> dict:
    """Idempotent: a plan already stored is not planned again (services)."""
    plan_id = job.params["plan_id"]
    try:
        plan = planning.run_plan(plan_id=plan_id, progress=progress)
    except JobFailed as error:
        planning.fail_plan(plan_id=plan_id, message=str(error))
        raise
    except Exception as error:  # the plan must not stay "planning" forever
        planning.fail_plan(plan_id=plan_id, message=f"Unexpected error: {error}")
        raise
    summary = plan.summary
    message = f"{summary.get('stops', 0)} stops on {summary.get('routes', 0)} routes"
    if summary.get("unassigned"):
        message += f", {summary['unassigned']} not planned"
    return {"plan_id": plan.pk, "message": message, "url": reverse("fleet_plan", args=[plan.pk])}
