"""Job handlers of the fulfillment app (registered on import by FulfillmentConfig.ready)."""

from django.urls import reverse

from fulfillment.desk import jobs as desk_jobs  # noqa: F401  (registers the ship run's job)
from fulfillment.fleet.plans import jobs as fleet_plan_jobs  # noqa: F401  (the plan job)
from fulfillment.labels.services import batches as label_batches
from fulfillment.orders.services import csv_import as order_csv
from merchant.models import Job
from merchant.services.geocoding import GeocoderUnavailable
from merchant.services.import_jobs import run_csv_import
from merchant.services.jobs import Progress, job_handler


@job_handler(order_csv.JOB_KIND, title="Import orders from a CSV")
def import_orders_csv(job: Job, progress: Progress) -> dict:
    """Idempotent: the import marks the job applied in the same transaction as its orders, so
    a retried job (worker died after the commit) writes nothing twice."""
    return run_csv_import(
        job,
        progress,
        url=reverse("orders") + "?source=csv",
        preview=order_csv.preview_order_import,
        apply=order_csv.apply_order_import,
        writing=lambda plan: f"Creating {len(plan.orders)} orders",
        transient=(GeocoderUnavailable,),
    )


@job_handler(label_batches.JOB_KIND, title="Print a batch of labels")
def print_label_batch(job: Job, progress: Progress) -> dict:
    """Idempotent: the batch keeps its files, so a second run only points at them."""
    batch = label_batches.build_label_batch(batch_id=job.params["batch_id"], progress=progress)
    skipped = len(batch.skipped)
    message = f"{len(batch.shipment_ids)} labels ready" + (
        f", {skipped} skipped (no tracking number)" if skipped else ""
    )
    return {
        "batch_id": batch.pk,
        "labels": len(batch.shipment_ids),
        "skipped": skipped,
        "message": message,
        "url": reverse("label_batch_detail", args=[batch.pk]),
    }
