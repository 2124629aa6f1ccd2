"""Batch printing: a day's shipments become one PDF and one ZPL file through a merchant Job run
by the real Celery worker; the same selection, a duplicated job or a retried run never makes a
second set of labels; shipments without a tracking number are listed as skipped."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from fulfillment.labels.render import zpl_structure
from fulfillment.labels.render.scan import decode_pdf
from fulfillment.labels.services import batches as label_batches
from fulfillment.labels.services.batches import BatchFilter, build_label_batch, start_label_batch
from fulfillment.models import LabelBatch
from merchant.models import Job
from merchant.services.jobs import Progress
from merchant.tasks import run_job_task
from tests.factories.couriers import make_account, make_service, make_shipment
from tests.factories.orders import make_order
from tests.support.helpers import wait_for


def booked_shipments(merchant, count: int, **fields):
    service = make_service(make_account(merchant))
    shipments = []
    for _ in range(count):
        shipment = make_shipment(merchant, **fields)
        shipment.account, shipment.service = service.account, service
        shipment.save(update_fields=["account", "service"])
        shipments.append(shipment)
    return shipments


def today(merchant) -> dt.date:
    import zoneinfo

    from django.utils import timezone

    return timezone.localdate(timezone.now(), zoneinfo.ZoneInfo(merchant.time_zone or "UTC"))


def finished(job_id: int) -> Job | None:
    job = Job.objects.get(pk=job_id)
    return job if job.is_finished else None


def files_in(batch: LabelBatch) -> set[str]:
    folder = Path(batch.pdf.path).parent
    return {p.name for p in folder.iterdir() if p.name.startswith(f"labels-{batch.merchant_id}-")}


@pytest.mark.django_db(transaction=True)
def test_a_days_batch_is_one_pdf_and_one_zpl_made_once_by_the_worker(
    merchant_a, client_a, celery_worker
):
    merchant = merchant_a.merchant
    shipments = booked_shipments(merchant, 5)
    unbooked = make_shipment(merchant, tracking_number="", status="pending")
    numbers = [s.tracking_number for s in shipments]

    response = client_a.post(
        "/app/labels/", {"day": today(merchant).isoformat(), "size": "4x6", "status": ""}
    )
    assert response.status_code == 302
    batch = LabelBatch.objects.get(merchant=merchant)
    assert response["Location"] == f"/app/labels/{batch.pk}/"
    job = wait_for(lambda: finished(batch.job_id), timeout=120)
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.total == job.done == 5
    assert job.result["skipped"] == 1 and job.result_url == f"/app/labels/{batch.pk}/"

    batch.refresh_from_db()
    assert batch.shipment_ids == [s.pk for s in shipments]
    assert batch.skipped == [
        {
            "id": unbooked.pk,
            "reference": unbooked.order.reference,
            "reason": "no tracking number yet — book the shipment first",
        }
    ]
    pdf = client_a.get(f"/app/labels/{batch.pk}/labels.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    pages = decode_pdf(b"".join(pdf.streaming_content))
    assert [
        next(data for kind, data in found if kind == "code128")
        for _, found in sorted(pages.items())
    ] == numbers  # every label, in order, each scans
    zpl = b"".join(client_a.get(f"/app/labels/{batch.pk}/labels.zpl").streaming_content)
    structure = zpl_structure(zpl.decode("ascii"))
    assert structure["formats"] == 5 and structure["code128"] == numbers
    detail = client_a.get(f"/app/labels/{batch.pk}/").content.decode()
    assert "Download PDF" in detail and unbooked.order.reference in detail

    # The same selection again (a double click, a reload): the same batch and job, no new run.
    stored = (batch.pdf.name, batch.zpl.name)
    before = files_in(batch)
    again = client_a.post(
        "/app/labels/", {"day": today(merchant).isoformat(), "size": "4x6", "status": ""}
    )
    assert again["Location"] == response["Location"]
    assert LabelBatch.objects.filter(merchant=merchant).count() == 1
    assert Job.objects.filter(merchant=merchant, kind=label_batches.JOB_KIND).count() == 1

    # A duplicated or retried run of the job (a worker died after storing the files):
    Job.objects.filter(pk=job.pk).update(state=Job.State.QUEUED)
    run_job_task.delay(job.pk)
    rerun = wait_for(lambda: finished(job.pk), timeout=60)
    assert rerun.state == Job.State.SUCCEEDED and rerun.attempts == 2
    batch.refresh_from_db()
    assert (batch.pdf.name, batch.zpl.name) == stored
    assert files_in(batch) == before  # no second set of files


@pytest.mark.django_db
def test_chunks_are_merged_into_one_pdf_in_order_with_progress(merchant_a, monkeypatch):
    merchant = merchant_a.merchant
    shipments = booked_shipments(merchant, 5)
    monkeypatch.setattr(label_batches, "CHUNK", 2)  # three chunks: 2 + 2 + 1
    # Two processes, as on a 2-core worker: chunk 1 is rendered by a child process.
    monkeypatch.setattr(label_batches, "worker_count", lambda count, workers: 2)
    batch = start_label_batch(merchant=merchant, selection=BatchFilter(day=today(merchant)))

    built = build_label_batch(batch_id=batch.pk, progress=Progress(batch.job))

    job = Job.objects.get(pk=batch.job_id)
    assert (job.total, job.done) == (5, 5)
    pages = decode_pdf(built.pdf.read())
    assert [dict(found)["code128"] for _, found in sorted(pages.items())] == [
        s.tracking_number for s in shipments
    ]
    # A second run finds the files and renders nothing.
    name = built.pdf.name
    monkeypatch.setattr(label_batches, "render_chunks", lambda *a, **k: 1 / 0)
    assert build_label_batch(batch_id=batch.pk, progress=Progress(job)).pdf.name == name


@pytest.mark.django_db
def test_a4_batches_put_four_labels_on_a_sheet(merchant_a):
    merchant = merchant_a.merchant
    shipments = booked_shipments(merchant, 5)
    batch = start_label_batch(merchant=merchant, selection=BatchFilter(), size="a4")
    built = build_label_batch(batch_id=batch.pk, progress=Progress(batch.job))
    pages = decode_pdf(built.pdf.read())
    assert len(pages) == 2
    scanned = {data for found in pages.values() for kind, data in found if kind == "code128"}
    assert scanned == {s.tracking_number for s in shipments}


@pytest.mark.django_db
def test_filters_pick_the_shipments_of_a_status_courier_and_point(merchant_a):
    merchant = merchant_a.merchant
    delivered = booked_shipments(merchant, 2, status="delivered")
    other = booked_shipments(merchant, 1)
    point_id = (
        delivered[0].order.allocations.values_list("point_id", flat=True).first()
    )  # each factory order has its own point

    def ids(selection: BatchFilter) -> list[int]:
        return list(label_batches.batch_shipments(merchant, selection).values_list("pk", flat=True))

    assert ids(BatchFilter(status="delivered")) == [s.pk for s in delivered]
    assert ids(BatchFilter(account_id=other[0].account_id)) == [other[0].pk]
    assert ids(BatchFilter(point_id=point_id)) == [delivered[0].pk]
    assert ids(BatchFilter(day=today(merchant) - dt.timedelta(days=3))) == []
    # A different set is a different batch; the same set (any filter) is the same one.
    first = start_label_batch(merchant=merchant, selection=BatchFilter(status="delivered"))
    second = start_label_batch(
        merchant=merchant, selection=BatchFilter(account_id=other[0].account_id)
    )
    same = start_label_batch(merchant=merchant, selection=BatchFilter(status="delivered"))
    assert first.pk == same.pk != second.pk and first.job_id == same.job_id


@pytest.mark.django_db
def test_a_selection_without_any_tracking_number_is_refused(merchant_a, client_a):
    merchant = merchant_a.merchant
    make_shipment(merchant, tracking_number="", status="pending")
    response = client_a.post("/app/labels/", {"day": today(merchant).isoformat(), "size": "4x6"})
    assert response.status_code == 200
    assert "nothing to print" in response.content.decode()
    assert not LabelBatch.objects.filter(merchant=merchant).exists()


@pytest.mark.django_db
def test_the_labels_page_is_in_the_navigation_and_counts_the_days_shipments(merchant_a, client_a):
    merchant = merchant_a.merchant
    booked_shipments(merchant, 2)
    make_shipment(merchant, tracking_number="", status="pending")
    make_order(merchant)
    page = client_a.get("/app/labels/").content.decode()
    assert 'href="/app/labels/"' in page
    assert "3 shipments match" in page and "1 without a tracking number" in page
