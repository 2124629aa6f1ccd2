"""Job handlers of the fulfillment app (registered on import by FulfillmentConfig.ready)."""

from django.core.exceptions import ValidationError
from django.urls import reverse

from fulfillment.services import label_batches, order_csv
from merchant.models import Job
from merchant.services.geocoding import GeocoderUnavailable
from merchant.services.inventory_csv import SideProgress
from merchant.services.jobs import JobFailed, Progress, TransientJobError, job_handler


@job_handler(order_csv.JOB_KIND, title="Import orders from a CSV")
def import_orders_csv(job: Job, progress: Progress) -> dict:
    """Idempotent: the import marks the job applied in the same transaction as its orders, so
    a retried job (worker died after the commit) writes nothing twice."""
    url = reverse("orders") + "?source=csv"
    if job.result.get("applied"):
        return {**job.result, "url": url}
    progress.set_total(0, "Checking every row")
    plan = order_csv.preview_order_import(merchant=job.merchant, import_id=job.params["import_id"])
    if not plan.ok:
        first = plan.errors[0]
        raise JobFailed(
            f"Line {first.line or '-'}, column {first.column or '-'}: {first.message}. "
            f"{plan.error_count} problem(s); nothing was imported."
        )
    progress.set_total(plan.row_count, f"Creating {len(plan.orders)} orders")
    side = SideProgress(job, plan.row_count)

    def mark_applied(result: order_csv.OrderImportResult) -> None:
        Job.objects.filter(pk=job.pk).update(
            result={"applied": True, "message": result.message, "url": url}
        )

    try:
        result = order_csv.apply_order_import(
            merchant=job.merchant,
            import_id=job.params["import_id"],
            user=job.created_by,
            report=side,
            on_applied=mark_applied,
        )
    except ValidationError as exc:
        raise JobFailed(" ".join(exc.messages)) from exc
    except GeocoderUnavailable as exc:
        raise TransientJobError(str(exc)) from exc
    finally:
        side.close()
    return {"applied": True, "message": result.message, "url": url}


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
