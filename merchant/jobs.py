"""Job handlers of the merchant app (registered on import by MerchantConfig.ready)."""

from django.urls import reverse

from merchant.models import Job, PlacementPlan
from merchant.services import inventory_csv, placement
from merchant.services.import_jobs import run_csv_import
from merchant.services.jobs import Progress, job_handler

# --- Inventory: CSV import of products and stock counts ------------------------------------


@job_handler(inventory_csv.JOB_KIND, title="Import an inventory CSV")
def import_inventory_csv(job: Job, progress: Progress) -> dict:
    """Idempotent: the import marks the job applied in the same transaction as its writes."""
    url = reverse("product_list" if job.params.get("kind") == "products" else "inventory")
    return run_csv_import(
        job,
        progress,
        url=url,
        preview=inventory_csv.preview_import,
        apply=inventory_csv.apply_import,
        writing=lambda plan: f"Writing {plan.row_count} rows",
    )


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
