"""The background half of a CSV import (inventory, orders): check every row again, then apply
the import with progress reported beside its transaction, and mark the job applied in that same
transaction so that a retried job writes nothing twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError

from merchant.models import Job
from merchant.services.inventory_csv import SideProgress
from merchant.services.jobs import JobFailed, Progress, TransientJobError


def run_csv_import(
    job: Job,
    progress: Progress,
    *,
    url: str,
    preview: Callable[..., Any],
    apply: Callable[..., Any],
    writing: Callable[[Any], str],
    transient: tuple[type[Exception], ...] = (),
) -> dict:
    """`preview(merchant=, import_id=)` gives the plan (ok, errors, error_count, row_count);
    `apply(merchant=, import_id=, user=, report=, on_applied=)` writes it; `writing(plan)` names
    the step on the progress bar; errors of the `transient` types are retried."""
    if job.result.get("applied"):
        return {**job.result, "url": url}
    progress.set_total(0, "Checking every row")
    plan = preview(merchant=job.merchant, import_id=job.params["import_id"])
    if not plan.ok:
        first = plan.errors[0]
        raise JobFailed(
            f"Line {first.line or '-'}, column {first.column or '-'}: {first.message}. "
            f"{plan.error_count} problem(s); nothing was imported."
        )
    progress.set_total(plan.row_count, writing(plan))
    side = SideProgress(job, plan.row_count)

    def mark_applied(result: Any) -> None:
        Job.objects.filter(pk=job.pk).update(
            result={"applied": True, "message": result.message, "url": url}
        )

    try:
        result = apply(
            merchant=job.merchant,
            import_id=job.params["import_id"],
            user=job.created_by,
            report=side,
            on_applied=mark_applied,
        )
    except ValidationError as exc:
        raise JobFailed(" ".join(exc.messages)) from exc
    except transient as exc:
        raise TransientJobError(str(exc)) from exc
    finally:
        side.close()
    return {"applied": True, "message": result.message, "url": url}
