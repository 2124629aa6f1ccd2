"""Ship runs on PostgreSQL against the courier sandbox: each order booked once even when the job
is interrupted and run again; unshippable orders skipped with why; failures kept with the
courier's reason and retried; one PDF of labels then packing slips, in pick order."""

from __future__ import annotations

import contextlib
import io

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from fulfillment.desk.services import ship_runs
from fulfillment.desk.services.tags import set_order_tags
from fulfillment.labels.render.scan import decode_pdf
from fulfillment.models import Order, Shipment, ShipRun, ShipRunItem
from fulfillment.orders.services.orders import cancel_order
from merchant.models import Job
from merchant.services import jobs
from merchant.services.jobs import Progress
from tests.factories.orders import make_order
from tests.fulfillment.desk.support import ready_orders, sandbox_account
from tests.support.couriers import sandbox  # noqa: F401  (fixture)
from tests.support.helpers import wait_for

State = ShipRunItem.State


class Killed(BaseException):
    """Stands for the worker dying: not an Exception, so nothing on the way catches it."""


class DiesAfter(Progress):
    def __init__(self, job: Job, steps: int) -> None:
        super().__init__(job)
        self.steps = steps

    def advance(self, steps: int = 1, message: str = "") -> None:
        super().advance(steps, message)
        self.steps -= steps
        if self.steps <= 0:
            raise Killed


def run_job(run, progress_class=Progress, **kwargs):
    job = Job.objects.get(pk=run.job_id)
    return ship_runs.run_ship_run(run_id=run.pk, progress=progress_class(job, **kwargs))


@pytest.mark.django_db
def test_a_run_killed_halfway_and_run_again_books_every_order_exactly_once(merchant_a, sandbox):  # noqa: F811
    merchant = merchant_a.merchant
    sandbox_account(merchant, sandbox.url)
    orders = ready_orders(merchant, 6)
    sandbox.reset()
    run = ship_runs.start_ship_run(merchant=merchant, order_ids=[o.pk for o in orders])
    assert run.total == 6 and run.skipped == 0

    with pytest.raises(Killed):
        run_job(run, DiesAfter, steps=3)
    assert run.items.filter(state=State.BOOKED).count() == 3
    assert sandbox.stats().get("POST /shipments") == 3

    run = run_job(run)  # the job again, from the start
    run = run_job(run)  # and once more: nothing left to do
    assert (run.booked, run.failed, run.skipped) == (6, 0, 0)
    assert sandbox.stats().get("POST /shipments") == 6
    for order in orders:
        assert Shipment.objects.filter(order=order).count() == 1
    numbers = set(
        Shipment.objects.filter(order__in=orders).values_list("tracking_number", flat=True)
    )
    assert len(numbers) == 6 and "" not in numbers

    # One PDF: the six labels, then the six packing slips, both in pick order.
    run.refresh_from_db()
    pdf = run.pdf.read()
    decoded = decode_pdf(pdf, pages=[1, 6])
    items = list(run.items.order_by("position").select_related("shipment"))
    assert ("code128", items[0].shipment.tracking_number) in decoded[1]
    assert ("code128", items[5].shipment.tracking_number) in decoded[6]
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 12
    assert run.label_batch.zpl.read().count(b"^XA") == 6


@pytest.mark.django_db
def test_a_worker_killed_after_the_courier_booked_is_resumed_not_booked_again(
    merchant_a,
    sandbox,  # noqa: F811
    monkeypatch,
):
    merchant = merchant_a.merchant
    sandbox_account(merchant, sandbox.url)
    (order,) = ready_orders(merchant, 1)
    sandbox.reset()
    run = ship_runs.start_ship_run(merchant=merchant, order_ids=[order.pk])
    real_book = ship_runs.book_shipment

    def book_then_die(*, shipment_id):
        real_book(shipment_id=shipment_id)  # the courier booked it and we stored the label...
        raise Killed  # ...and the worker died before the run's item said so

    monkeypatch.setattr(ship_runs, "book_shipment", book_then_die)
    with pytest.raises(Killed):
        run_job(run)
    item = run.items.get()
    assert item.state == State.PENDING and item.shipment_id is not None

    monkeypatch.setattr(ship_runs, "book_shipment", real_book)
    run = run_job(run)
    assert (run.booked, run.failed, run.skipped) == (1, 0, 0)
    assert run.items.get().shipment_id == item.shipment_id
    assert sandbox.stats().get("POST /shipments") == 1  # the courier was asked once
    assert Shipment.objects.filter(order=order).count() == 1


@pytest.mark.django_db
def test_unshippable_orders_are_listed_as_skipped_with_the_reason(merchant_a, sandbox):  # noqa: F811
    merchant = merchant_a.merchant
    sandbox_account(merchant, sandbox.url)
    good, cancelled, problem, shipped = ready_orders(merchant, 4)
    cancel_order(order=cancelled, user=None, note="")
    Order.objects.filter(pk=problem.pk).update(address_status=Order.AddressStatus.PROBLEM)
    Order.objects.filter(pk=shipped.pk).update(status=Order.Status.HANDED_OVER)

    run = ship_runs.start_ship_run(
        merchant=merchant, order_ids=[good.pk, cancelled.pk, problem.pk, shipped.pk]
    )
    reasons = dict(run.items.filter(state=State.SKIPPED).values_list("order_id", "error"))
    assert set(reasons) == {cancelled.pk, problem.pk, shipped.pk}
    assert "cancelled" in reasons[cancelled.pk]
    assert "Address needs attention" in reasons[problem.pk]
    assert "handed over" in reasons[shipped.pk]

    run = run_job(run)
    assert (run.booked, run.skipped) == (1, 3)
    # The same order again in a new run: it has a label now, so it is skipped, not rebooked.
    again = ship_runs.start_ship_run(merchant=merchant, order_ids=[good.pk])
    assert again.items.get().error.startswith("Already has a label")


@pytest.mark.django_db
def test_a_refused_booking_is_failed_with_the_reason_rolled_back_and_retried(merchant_a, sandbox):  # noqa: F811
    merchant = merchant_a.merchant
    sandbox_account(merchant, sandbox.url)
    orders = ready_orders(merchant, 2)
    sandbox.reset()
    sandbox.faults(malformed={"rate": 1.0})
    run = run_job(ship_runs.start_ship_run(merchant=merchant, order_ids=[o.pk for o in orders]))
    assert (run.booked, run.failed) == (0, 2)
    errors = list(run.items.values_list("error", flat=True))
    assert all(e and "courier" in e.lower() for e in errors), errors
    assert not Shipment.objects.filter(order__in=orders).exists()  # nothing half made
    assert not run.pdf

    sandbox.reset()
    Job.objects.filter(pk=run.job_id).update(state=Job.State.SUCCEEDED)
    retry = ship_runs.retry_failed(run=run)
    assert retry.total == 2 and "Retry" in retry.description
    retry = run_job(retry)
    assert (retry.booked, retry.failed) == (2, 0)
    assert retry.pdf


@pytest.mark.django_db
def test_all_matching_a_filter_takes_every_matching_order_not_just_a_page(merchant_a, sandbox):  # noqa: F811
    merchant = merchant_a.merchant
    tagged = ready_orders(merchant, 3)
    other = make_order(merchant)
    for order in tagged:
        set_order_tags(order=order, tags="Gift, fragile")
    run = ship_runs.start_ship_run(merchant=merchant, filters={"tag": "gift"})
    assert set(run.items.values_list("order_id", flat=True)) == {o.pk for o in tagged}
    assert other.pk not in run.items.values_list("order_id", flat=True)


@pytest.mark.django_db
def test_a_selection_with_another_merchants_order_is_refused(merchant_a, merchant_b):
    mine, theirs = make_order(merchant_a.merchant), make_order(merchant_b.merchant)
    with pytest.raises(ValidationError) as error:
        ship_runs.start_ship_run(merchant=merchant_a.merchant, order_ids=[mine.pk, theirs.pk])
    assert str(theirs.pk) in " ".join(error.value.messages)


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_run_books_in_threads_on_postgresql_and_in_turn_on_sqlite(
    merchant_a,
    sandbox,  # noqa: F811
):
    from django.db import connection

    merchant = merchant_a.merchant
    sandbox_account(merchant, sandbox.url)
    orders = ready_orders(merchant, 8)
    sandbox.reset()
    expected = 1 if connection.vendor == "sqlite" else 6
    assert ship_runs.booking_threads() == expected
    run = ship_runs.start_ship_run(merchant=merchant, order_ids=[o.pk for o in orders])
    # Committed, the job is queued for real: the session's Celery worker (when an earlier test
    # started it) may take it first. Run it the way a worker does, under the job's lease, so
    # that exactly one runner books, whoever it is.
    with contextlib.suppress(jobs.JobBusy):
        jobs.run_job(run.job_id)
    wait_for(
        lambda: Job.objects.get(pk=run.job_id).state == Job.State.SUCCEEDED,
        timeout=120,
        what="the ship run finished",
    )
    run = ShipRun.objects.get(pk=run.pk)
    assert (run.booked, run.failed) == (8, 0)
    assert sandbox.stats().get("POST /shipments") == 8
    assert run.pdf and run.label_batch.zpl
