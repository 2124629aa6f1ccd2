"""Job handlers of the merchant app (registered on import by MerchantConfig.ready)."""

from django.core.exceptions import ValidationError
from django.urls import reverse

from merchant.models import Job, PlacementPlan
from merchant.services import inventory_csv, placement
from merchant.services.jobs import JobFailed, Progress, job_handler

# --- Inventory: CSV import of products and stock counts ------------------------------------


@job_handler(inventory_csv.JOB_KIND, title="Import an inventory CSV")
def import_inventory_csv(job: Job, progress: Progress) -> dict:
    """Idempotent: the import marks the job applied in the same transaction as its writes."""
    url = reverse("product_list" if job.params.get("kind") == "products" else "inventory")
    if job.result.get("applied"):
        return {**job.result, "url": url}
    progress.set_total(0, "Checking every row")
    plan = inventory_csv.preview_import(merchant=job.merchant, import_id=job.params["import_id"])
    if not plan.ok:
        first = plan.errors[0]
        raise JobFailed(
            f"Line {first.line}, column {first.column or '-'}: {first.message}. "
            f"{plan.error_count} problem(s); nothing was imported."
        )
    progress.set_total(plan.row_count, f"Writing {plan.row_count} rows")
    side = inventory_csv.SideProgress(job, plan.row_count)

    def mark_applied(result: inventory_csv.ImportResult) -> None:
        Job.objects.filter(pk=job.pk).update(
            result={"applied": True, "message": result.message, "url": url}
        )

    try:
        result = inventory_csv.apply_import(
            merchant=job.merchant,
            import_id=job.params["import_id"],
            user=job.created_by,
            report=side,
            on_applied=mark_applied,
        )
    except ValidationError as exc:
        raise JobFailed(" ".join(exc.messages)) from exc
    finally:
        side.close()
    return {"applied": True, "message": result.message, "url": url}


# --- Placement: compute a plan -----------------------------------------------------------------


@job_handler("placement.plan", title="Compute a placement plan")
def compute_placement_plan(job: Job, progress: Progress) -> dict:
    plan = PlacementPlan.objects.get(pk=job.params["plan_id"], merchant=job.merchant)
    try:
        plan = placement.compute_plan(plan, progress)
    except Exception as exc:
        placement.fail_plan(plan.pk, str(exc))
        raise
    return {"message": "Plan ready to review", "url": reverse("placement_plan", args=[plan.pk])}
