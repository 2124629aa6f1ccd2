"""Batch printing: a day's shipments (or a filter) as one merged PDF and one ZPL file, made by
a background job with progress.

The batch is keyed by a digest of its size and the exact shipments in it, unique per merchant:
asking twice for the same set (a double click, a retried request) finds the same batch and job,
and a job that runs again (a worker died, the message was delivered twice) finds the files
already stored and renders nothing. So one set of shipments never gets a second set of labels.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from fulfillment.labels.render import LABEL_SIZES, render_labels_zpl
from fulfillment.labels.render.merge import join_pages, read_pages
from fulfillment.labels.render.parallel import worker_count
from fulfillment.labels.render.subproc import render_chunks
from fulfillment.labels.services.labels import label_data_for
from fulfillment.models import Allocation, LabelBatch, OrderLine, Shipment
from merchant.models import Job, Merchant, User
from merchant.services.jobs import JobFailed, Progress, retry_job, start_job

JOB_KIND = "labels.batch"
CHUNK = 100  # labels per WeasyPrint document: bounded memory, progress between chunks
MAX_LABELS = 5000


@dataclass(frozen=True)
class BatchFilter:
    day: dt.date | None = None  # the merchant's local day the shipment was created
    status: str = ""
    account_id: int | None = None
    point_id: int | None = None

    def describe(self) -> str:
        parts = [f"{self.day:%d %b %Y}" if self.day else "all days"]
        if self.status:
            parts.append(self.status.replace("_", " "))
        if self.account_id:
            parts.append(f"courier {self.account_id}")
        if self.point_id:
            parts.append(f"point {self.point_id}")
        return ", ".join(parts)


def batch_shipments(merchant: Merchant, selection: BatchFilter) -> QuerySet[Shipment]:
    """The merchant's shipments matching the filter, oldest first (the print order)."""
    shipments = Shipment.objects.for_merchant(merchant)
    if selection.day:
        tz = zoneinfo.ZoneInfo(merchant.time_zone or "UTC")
        start = dt.datetime.combine(selection.day, dt.time.min, tzinfo=tz)
        shipments = shipments.filter(created_at__gte=start, created_at__lt=start + dt.timedelta(1))
    if selection.status:
        shipments = shipments.filter(status=selection.status)
    if selection.account_id:
        shipments = shipments.filter(account_id=selection.account_id)
    if selection.point_id:
        held = Allocation.objects.filter(point_id=selection.point_id).exclude(
            state=Allocation.State.RELEASED
        )
        shipments = shipments.filter(order_id__in=held.values("order_id"))
    return shipments.select_related("order").order_by("created_at", "pk")


def batch_key(size: str, shipment_ids: list[int]) -> str:
    text = f"{size}:" + ",".join(map(str, sorted(shipment_ids)))
    return hashlib.sha256(text.encode()).hexdigest()


def start_label_batch(
    *,
    merchant: Merchant,
    selection: BatchFilter,
    size: str = "4x6",
    user: User | None = None,
) -> LabelBatch:
    """Find or make the batch of the selected shipments and make sure its job is queued.
    Shipments without a tracking number are listed as skipped, with why."""
    if size not in LABEL_SIZES:
        raise ValidationError({"size": f"size must be one of {', '.join(LABEL_SIZES)}."})
    shipments = list(batch_shipments(merchant, selection)[: MAX_LABELS + 1])
    if len(shipments) > MAX_LABELS:
        raise ValidationError(
            {"day": f"More than {MAX_LABELS} shipments: narrow the filter (a day, a courier)."}
        )
    printable = [s.pk for s in shipments if s.tracking_number and s.voided_at is None]
    skipped = [
        {
            "id": s.pk,
            "reference": s.order.reference or f"Order {s.order_id}",
            "reason": "label voided"
            if s.voided_at
            else "no tracking number yet — book the shipment first",
        }
        for s in shipments
        if not s.tracking_number or s.voided_at is not None
    ]
    if not printable:
        raise ValidationError(
            {"day": "No shipment in this selection has a tracking number, so nothing to print."}
        )
    key = batch_key(size, printable)
    title = f"{len(printable)} labels ({size}), {selection.describe()}"
    try:
        with transaction.atomic():
            batch, _ = LabelBatch.objects.get_or_create(
                merchant=merchant,
                key=key,
                defaults={
                    "size": size,
                    "title": title[:160],
                    "shipment_ids": printable,
                    "skipped": skipped,
                },
            )
    except IntegrityError:  # the same set was asked for at the same moment
        batch = LabelBatch.objects.get(merchant=merchant, key=key)
    return _ensure_job(batch, user)


def _ensure_job(batch: LabelBatch, user: User | None) -> LabelBatch:
    with transaction.atomic():
        locked = (
            LabelBatch.objects.select_for_update(of=("self",))
            .select_related("job")
            .get(pk=batch.pk)
        )
        if locked.job is None:
            locked.job = start_job(
                merchant=locked.merchant,
                kind=JOB_KIND,
                params={"batch_id": locked.pk},
                user=user,
                title=f"Print {locked.title}"[:160],
            )
            locked.save(update_fields=["job"])
        elif locked.job.state == Job.State.FAILED and not locked.is_ready:
            retry_job(job=locked.job)
    locked.refresh_from_db()
    return locked


def build_label_batch(*, batch_id: int, progress: Progress) -> LabelBatch:
    """The job's work: render the batch's labels in chunks, merge them into one PDF, write the
    ZPL file. Runs any number of times; once the files are stored it only reports them.
    Chunks are shared between this process and child processes, one per extra core (the
    Celery worker is daemonic and may not fork multiprocessing workers; see subproc.py)."""
    batch = LabelBatch.objects.get(pk=batch_id)
    if batch.is_ready:
        return batch
    ids = list(batch.shipment_ids)
    shipments = {
        s.pk: s
        for s in Shipment.objects.filter(merchant_id=batch.merchant_id, pk__in=ids)
        .select_related("merchant", "account", "service", "order")
        .prefetch_related(
            Prefetch("order__lines", queryset=OrderLine.objects.select_related("product")),
            Prefetch("order__allocations", queryset=Allocation.objects.select_related("point")),
        )
    }
    missing = [pk for pk in ids if pk not in shipments]
    if missing:
        raise JobFailed(f"Shipments {missing[:10]} no longer exist; start a new batch.")
    progress.set_total(len(ids), f"Rendering {len(ids)} labels")
    try:
        labels = [label_data_for(shipments[pk]) for pk in ids]
    except ValidationError as exc:
        raise JobFailed(" ".join(exc.messages)) from exc
    pages: list[list] = []
    chunks = [labels[start : start + CHUNK] for start in range(0, len(labels), CHUNK)]
    done = 0
    for chunk, pdf in zip(
        chunks, render_chunks(chunks, batch.size, worker_count(len(labels), None)), strict=True
    ):
        pages.append(read_pages(pdf))
        done += len(chunk)
        progress.advance(len(chunk), f"Rendered {done} of {len(labels)} labels")
    merged = join_pages(pages)
    zpl = render_labels_zpl(labels).encode("ascii")
    with transaction.atomic():
        locked = LabelBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.is_ready:  # a duplicate run stored its files first: keep those
            return locked
        stem = f"labels-{locked.merchant_id}-{locked.key[:16]}"
        locked.pdf.save(f"{stem}-{locked.size}.pdf", ContentFile(merged), save=False)
        locked.zpl.save(f"{stem}.zpl", ContentFile(zpl), save=False)
        locked.finished_at = timezone.now()
        locked.save(update_fields=["pdf", "zpl", "finished_at"])
    return locked
