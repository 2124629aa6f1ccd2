"""Bulk ship: many orders booked in one background job, then one PDF (every label, then every
packing slip, both in pick order) and one ZPL file of the labels.

`start_ship_run` takes the selection (order ids or the order list's filter), lists the orders
that cannot ship as skipped with why, and queues the job; `run_ship_run` is the job's body.
Each order is booked and its item marked booked in ONE transaction, and the shipment's
idempotency key is unique per order (and sent to the courier), so a job killed at any point and
run again books every order at most once: a committed item is not touched again, and a booking
whose commit was lost is sent again under the same key and gets the same tracking number back.
A failed booking is rolled back whole (no half-made shipment), with the reason on the item;
`retry_failed` starts a new run of just those orders.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from fulfillment.couriers.adapters import CourierError, CourierUnavailable
from fulfillment.labels.render import LabelError, render_packing_slips_pdf
from fulfillment.labels.render.merge import join_pages, read_pages
from fulfillment.labels.services.batches import batch_key, build_label_batch
from fulfillment.labels.services.labels import sending_point
from fulfillment.labels.services.packing_slips import packing_slip_data
from fulfillment.models import (
    Allocation,
    CourierService,
    LabelBatch,
    Order,
    OrderLine,
    Shipment,
    ShipRun,
    ShipRunItem,
)
from fulfillment.orders.selectors.search import search_orders
from fulfillment.orders.services.addresses import AddressNeedsAttention
from fulfillment.shipments.services.booking import (
    ShipmentExists,
    book_shipment,
    request_shipment,
)
from fulfillment.shipments.services.returns import outbound_shipment
from merchant.limits import INT64_MAX
from merchant.models import Job, Merchant, User
from merchant.services.jobs import Progress, start_job
from merchant.zones import merchant_zone

logger = logging.getLogger(__name__)

JOB_KIND = "desk.ship_run"
MAX_ORDERS = 1000
SLIP_CHUNK = 100
LABEL_SIZE = "4x6"
State = ShipRunItem.State
SHIPPED = {
    Order.Status.HANDED_OVER: "already handed over to the courier",
    Order.Status.AT_PICKUP: "already at its pickup place",
    Order.Status.DELIVERED: "already delivered",
    Order.Status.CANCELLED: "cancelled",
    Order.Status.RETURNED: "returned",
}


class _NotBooked(Exception):
    """The courier refused the booking; raised inside the transaction so it rolls back."""


# --- choosing the orders -----------------------------------------------------------------


def skip_reason(order: Order, shipment: Shipment | None = None) -> str:
    """Why this order is not booked in a run ("" when it can be)."""
    if order.status in SHIPPED:
        return f"Not shippable: {SHIPPED[order.status]}."
    if order.status == Order.Status.RECEIVED:
        return "Not ready: it holds no stock yet (received, not allocated)."
    if order.address_status == Order.AddressStatus.PROBLEM:
        return "Address needs attention: fix or override it on the order page."
    if shipment is not None:
        return f"Already has a label: tracking number {shipment.tracking_number}."
    return ""


def selected_orders(
    merchant: Merchant, *, order_ids: Iterable[int] | None = None, filters: dict | None = None
) -> QuerySet[Order]:
    """The merchant's orders by id, or every order matching the order list's filters."""
    if order_ids is not None:
        ids = sorted({int(pk) for pk in order_ids})
        if not ids:
            raise ValidationError({"order_ids": "Select at least one order."})
        if len(ids) > MAX_ORDERS:
            raise ValidationError({"order_ids": f"At most {MAX_ORDERS} orders in one run."})
        # An id no column can hold is unknown, not a query: SQLite (make run) raises
        # OverflowError on an integer beyond 64 bits.
        orders = Order.objects.for_merchant(merchant).filter(
            pk__in=[pk for pk in ids if 0 < pk <= INT64_MAX]
        )
        found = set(orders.values_list("pk", flat=True))
        unknown = [pk for pk in ids if pk not in found]
        if unknown:
            shown = ", ".join(map(str, unknown[:10]))
            raise ValidationError({"order_ids": f"No such order: {shown}."})
        return orders
    tz = zoneinfo.ZoneInfo(merchant.time_zone or "UTC")
    return search_orders(merchant, **(filters or {}), tz=tz)


def _pick_key(order: Order) -> tuple:
    """Pick order: by the point the parcel leaves from, then the shelf (first SKU), then age."""
    point = sending_point(order)
    skus = sorted(line.product.sku for line in order.lines.all())
    return (point.name if point else "~", skus[0] if skus else "", order.created_at, order.pk)


def start_ship_run(
    *,
    merchant: Merchant,
    order_ids: Iterable[int] | None = None,
    filters: dict | None = None,
    service: CourierService | None = None,
    description: str = "",
    user: User | None = None,
) -> ShipRun:
    """Make the run and its items (pick order; unshippable ones skipped with why) and queue
    the booking job. Raises ValidationError for an empty, too large or unknown selection."""
    if service is not None and service.account.merchant_id != merchant.pk:
        raise ValidationError({"service": "Choose one of your courier services."})
    if service is not None and not (service.is_active and service.account.is_active):
        raise ValidationError({"service": "That service is switched off; choose another."})
    orders = selected_orders(merchant, order_ids=order_ids, filters=filters)
    orders = list(
        orders.order_by()
        .prefetch_related(None)  # the order list prefetches allocations its own way
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product")),
            Prefetch(
                "allocations",
                queryset=Allocation.objects.exclude(state=Allocation.State.RELEASED).select_related(
                    "point"
                ),
            ),
        )[: MAX_ORDERS + 1]
    )
    if not orders:
        raise ValidationError({"order_ids": "No order matches this selection."})
    if len(orders) > MAX_ORDERS:
        raise ValidationError(
            {"order_ids": f"More than {MAX_ORDERS} orders match: narrow the filter."}
        )
    live = {
        s.order_id: s
        for s in Shipment.objects.filter(
            merchant=merchant, order_id__in=[o.pk for o in orders], is_return=False
        )
        .exclude(tracking_number="")
        .filter(voided_at__isnull=True)
    }
    orders.sort(key=_pick_key)
    with transaction.atomic():
        run = ShipRun.objects.create(
            merchant=merchant,
            created_by=user if user and user.is_authenticated else None,
            service=service,
            description=(description or f"{len(orders)} selected orders")[:300],
            total=len(orders),
        )
        items = []
        for position, order in enumerate(orders):
            reason = skip_reason(order, live.get(order.pk))
            items.append(
                ShipRunItem(
                    run=run,
                    order=order,
                    position=position,
                    state=State.SKIPPED if reason else State.PENDING,
                    error=reason,
                )
            )
        ShipRunItem.objects.bulk_create(items)
        run.skipped = sum(1 for item in items if item.state == State.SKIPPED)
        run.job = start_job(
            merchant=merchant,
            kind=JOB_KIND,
            params={"run_id": run.pk},
            user=user,
            title=f"Ship {len(orders) - run.skipped} orders"[:160],
        )
        run.save(update_fields=["skipped", "job"])
    return run


def retry_failed(*, run: ShipRun, user: User | None = None) -> ShipRun:
    """A new run of this run's failed orders, with the same service choice."""
    if run.job and run.job.state not in Job.FINISHED_STATES:
        raise ValidationError("This run is still booking; retry once it has finished.")
    failed = list(run.items.filter(state=State.FAILED).values_list("order_id", flat=True))
    if not failed:
        raise ValidationError("No failed order in this run to retry.")
    return start_ship_run(
        merchant=run.merchant,
        order_ids=failed,
        service=run.service,
        description=f"Retry of the {len(failed)} failed in run {run.pk}",
        user=user,
    )


# --- the job -------------------------------------------------------------------------------


class _Continuing(Progress):
    """Progress for a later stage of the same job: its total adds to what is done so far."""

    def set_total(self, total: int, message: str = "") -> None:
        self._write(total=self.job.done + max(0, total), message=message)


def run_ship_run(*, run_id: int, progress: Progress) -> ShipRun:
    """Book every pending order of the run, then print. Safe to run any number of times."""
    run = ShipRun.objects.select_related("merchant", "service").get(pk=run_id)
    pending = list(run.items.filter(state=State.PENDING).order_by("position", "pk"))
    progress.set_total(len(pending), f"Booking {len(pending)} orders")
    threads = booking_threads()
    if threads == 1:
        for done, item in enumerate(pending, start=1):
            _book_item(run, item)
            progress.advance(1, f"Booked {done} of {len(pending)} orders")
    else:
        # Each booking waits on the courier and the database far more than it computes, so a
        # few run at once; each thread has its own connection (closed when the thread ends).
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ship-run") as pool:
            futures = [pool.submit(_book_item_in_thread, run, item) for item in pending]
            try:
                for done, future in enumerate(as_completed(futures), start=1):
                    future.result()
                    progress.advance(1, f"Booked {done} of {len(pending)} orders")
            finally:
                for future in futures:
                    future.cancel()
    refresh_counts(run)
    if run.booked and not run.pdf:
        _print(run, _Continuing(progress.job))
    if run.finished_at is None:
        run.finished_at = timezone.now()
        run.save(update_fields=["finished_at"])
    return run


def booking_threads() -> int:
    """Bookings at once: 1 inside a transaction (other connections cannot see its rows) and
    on SQLite (one writer at a time), else NEARBOX_SHIP_RUN_THREADS."""
    if connection.in_atomic_block or connection.vendor != "postgresql":
        return 1
    return max(1, int(getattr(settings, "NEARBOX_SHIP_RUN_THREADS", 6)))


def _book_item_in_thread(run: ShipRun, item: ShipRunItem) -> None:
    try:
        _book_item(run, item)
    finally:
        connection.close()


def _book_item(run: ShipRun, item: ShipRunItem) -> None:
    option_id = f"svc-{run.service_id}" if run.service_id else "rule"
    try:
        with transaction.atomic():
            locked = ShipRunItem.objects.select_for_update().get(pk=item.pk)
            if locked.state != State.PENDING:  # done by an earlier run of the job
                return
            if locked.shipment_id is None:
                order = Order.objects.select_related("merchant").get(pk=locked.order_id)
                reason = skip_reason(order, outbound_shipment(order))
                if reason:
                    _mark(locked, State.SKIPPED, error=reason)
                    return
                try:
                    shipment = request_shipment(
                        merchant=run.merchant,
                        order=order,
                        option_id=option_id,
                        book_in_background=False,
                    )
                except ShipmentExists as exc:  # queued elsewhere (the order page), not booked yet
                    shipment = exc.shipment
                locked.shipment = shipment
                locked.save(update_fields=["shipment"])
        # The courier is called outside any transaction, after the item names its shipment: a
        # worker killed after the courier booked but before a commit would otherwise forget the
        # label, and the next run would ask again (a courier that ignores idempotency keys would
        # charge twice). A rerun finds the shipment and book_shipment, idempotent, resumes it.
        shipment = book_shipment(shipment_id=locked.shipment_id)
        if not shipment.is_booked:
            raise _NotBooked(shipment.last_error or "The courier did not book the parcel.")
        ShipRunItem.objects.filter(pk=item.pk, state=State.PENDING).update(
            state=State.BOOKED, error=""
        )
    except (_NotBooked, CourierError, ValidationError, AddressNeedsAttention) as exc:
        _forget_unbooked(item)
        _fail(item, _reason(exc))
    except DatabaseError:
        raise  # the database is gone: the job fails and runs again, nothing to record here
    except Exception as exc:  # one order's bug must not stop the other 499
        logger.exception("ship run %s: order %s failed", run.pk, item.order_id)
        _fail(item, f"Unexpected error: {exc}")


def _forget_unbooked(item: ShipRunItem) -> None:
    """A parcel the courier did not book leaves no shipment behind, so that a retry (perhaps
    with another service) starts clean. Its key is the order's booking key, which the retry
    asks with again: a courier that booked it after all answers with the same parcel."""
    with transaction.atomic():
        locked = ShipRunItem.objects.select_for_update().get(pk=item.pk)
        if locked.state != State.PENDING or locked.shipment_id is None:
            return
        shipment_id = locked.shipment_id
        locked.shipment = None
        locked.save(update_fields=["shipment"])
        Shipment.objects.filter(pk=shipment_id, tracking_number="", voided_at=None).delete()


def _fail(item: ShipRunItem, reason: str) -> None:
    ShipRunItem.objects.filter(pk=item.pk, state=State.PENDING).update(
        state=State.FAILED, error=reason[:500]
    )


def _mark(
    item: ShipRunItem, state: str, *, shipment: Shipment | None = None, error: str = ""
) -> None:
    item.state, item.shipment, item.error = state, shipment, error[:500]
    item.save(update_fields=["state", "shipment", "error"])


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, CourierUnavailable):
        return f"The courier did not answer: {exc}"
    if isinstance(exc, CourierError):
        return f"The courier refused it: {exc}"
    return str(exc) or exc.__class__.__name__


def refresh_counts(run: ShipRun) -> ShipRun:
    counts = dict(run.items.values_list("state").annotate(n=Count("pk")).order_by())
    run.booked = counts.get(State.BOOKED, 0)
    run.failed = counts.get(State.FAILED, 0)
    run.skipped = counts.get(State.SKIPPED, 0)
    ShipRun.objects.filter(pk=run.pk).update(
        booked=run.booked, failed=run.failed, skipped=run.skipped
    )
    return run


def _print(run: ShipRun, progress: Progress) -> None:
    """The label batch of the booked shipments (the label machinery: PDF and ZPL), then the
    run's own PDF: those labels followed by the packing slips, both in pick order."""
    booked = list(
        run.items.filter(state=State.BOOKED)
        .exclude(shipment=None)
        .order_by("position", "pk")
        .values_list("shipment_id", "order_id")
    )
    shipment_ids = [s for s, _ in booked]
    key = batch_key(LABEL_SIZE, shipment_ids)
    try:
        batch, _ = LabelBatch.objects.get_or_create(
            merchant=run.merchant,
            key=key,
            defaults={
                "size": LABEL_SIZE,
                "title": f"{len(shipment_ids)} labels ({LABEL_SIZE}), ship run {run.pk}"[:160],
                "shipment_ids": shipment_ids,
                "job": run.job,
            },
        )
    except IntegrityError:
        batch = LabelBatch.objects.get(merchant=run.merchant, key=key)
    ShipRun.objects.filter(pk=run.pk).update(label_batch=batch)
    run.label_batch = batch
    batch = run.label_batch = build_label_batch(batch_id=batch.pk, progress=progress)
    label_pages = read_pages(batch.pdf.read())
    batch.pdf.close()
    slip_pages = _slip_pages(run, [o for _, o in booked], progress)
    merged = join_pages([label_pages, slip_pages], title=f"Ship run {run.pk}")
    with transaction.atomic():
        locked = ShipRun.objects.select_for_update().get(pk=run.pk)
        if not locked.pdf:  # a duplicate run of the job stored its file first: keep that
            locked.pdf.save(
                f"ship-run-{run.merchant_id}-{run.pk}.pdf", ContentFile(merged), save=False
            )
            locked.save(update_fields=["pdf"])
        run.pdf = locked.pdf


def _slip_pages(run: ShipRun, order_ids: list[int], progress: Progress) -> list:
    orders = {
        o.pk: o
        for o in Order.objects.filter(merchant=run.merchant, pk__in=order_ids)
        .select_related("merchant")
        .prefetch_related(
            Prefetch("allocations", queryset=Allocation.objects.select_related("point"))
        )
    }
    progress.set_total(len(order_ids), f"Rendering {len(order_ids)} packing slips")
    pages: list = []
    with merchant_zone(run.merchant):
        for start in range(0, len(order_ids), SLIP_CHUNK):
            chunk = order_ids[start : start + SLIP_CHUNK]
            slips = []
            for pk in chunk:
                try:
                    slips.append(packing_slip_data(orders[pk]))
                except (ValidationError, LabelError):
                    continue  # its label printed; a slip it cannot have is not a reason to stop
            if slips:
                pages.extend(read_pages(render_packing_slips_pdf(slips, size=LABEL_SIZE)))
            progress.advance(len(chunk), f"Rendered {start + len(chunk)} packing slips")
    return pages
