"""Shipping desk pages: "Ship selected" from the order list, the run's progress (polled with
htmx), its downloads and "retry failed"; an order's tags."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HTMX_STOP_POLLING

from fulfillment.desk.forms import ShipRunForm, TagsForm
from fulfillment.desk.services import ship_runs
from fulfillment.desk.services.tags import set_order_tags
from fulfillment.models import ShipRun, ShipRunItem
from fulfillment.orders.selectors.orders import get_order_for_merchant
from merchant.decorators import merchant_required
from merchant.models import get_for_merchant_or_404

NAV = "orders"
State = ShipRunItem.State


def _back_to_list(request: HttpRequest) -> HttpResponse:
    query = request.POST.get("filter", "")
    return redirect(reverse("orders") + (f"?{query}" if query else ""))


@merchant_required
@require_POST
def ship_run_create(request: HttpRequest) -> HttpResponse:
    form = ShipRunForm(request.POST, merchant=request.merchant)
    if not form.is_valid():
        problems = " ".join(m for errors in form.errors.values() for m in errors)
        messages.error(request, f"Nothing shipped: {problems}")
        return _back_to_list(request)
    data = form.cleaned_data
    try:
        if data.get("all_matching"):
            run = ship_runs.start_ship_run(
                merchant=request.merchant,
                filters=data["filters"],
                service=data["service"],
                description=_describe(data["filters"]),
                user=request.user,
            )
        else:
            run = ship_runs.start_ship_run(
                merchant=request.merchant,
                order_ids=data["orders"],
                service=data["service"],
                user=request.user,
            )
    except ValidationError as error:
        messages.error(request, f"Nothing shipped: {' '.join(error.messages)}")
        return _back_to_list(request)
    return redirect("ship_run_detail", run_id=run.pk)


def _describe(filters: dict) -> str:
    shown = [f"{name.replace('_', ' ')} {value}" for name, value in filters.items() if value]
    return "All orders matching " + (", ".join(shown) if shown else "no filter")


def _run(request: HttpRequest, run_id: int) -> ShipRun:
    return get_for_merchant_or_404(ShipRun, request.merchant, run_id)


@merchant_required
@require_GET
def ship_run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    """The run page; for htmx its status fragment (286 once finished, so polling stops)."""
    run = _run(request, run_id)
    job = run.job
    finished = job is None or job.is_finished
    if finished:
        ship_runs.refresh_counts(run)
    context = {"run": run, "job": job, "finished": finished, "nav_active": NAV}
    if request.htmx:
        context["fragment"] = True
        response = render(request, "fulfillment/desk/_run_status.html", context)
        if finished:
            response.status_code = HTMX_STOP_POLLING
        return response
    items = run.items.select_related("order", "shipment")
    context.update(
        failed=items.filter(state=State.FAILED),
        skipped=items.filter(state=State.SKIPPED),
        booked=items.filter(state=State.BOOKED),
    )
    return render(request, "fulfillment/desk/run.html", context)


@merchant_required
@require_POST
def ship_run_retry(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    try:
        retry = ship_runs.retry_failed(run=run, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("ship_run_detail", run_id=run.pk)
    messages.success(request, f"Booking the {retry.total} failed orders again.")
    return redirect("ship_run_detail", run_id=retry.pk)


def _file(run: ShipRun, kind: str) -> FileResponse:
    if kind == "pdf":
        field, content_type, name = run.pdf, "application/pdf", f"ship-run-{run.pk}.pdf"
    else:
        batch = run.label_batch
        field = batch.zpl if batch is not None else None
        content_type, name = "application/zpl", f"ship-run-{run.pk}.zpl"
    if not field:
        raise Http404("The labels are not ready yet.")
    return FileResponse(field.open("rb"), content_type=content_type, filename=name)


@merchant_required
@require_GET
def ship_run_pdf(request: HttpRequest, run_id: int) -> FileResponse:
    return _file(_run(request, run_id), "pdf")


@merchant_required
@require_GET
def ship_run_zpl(request: HttpRequest, run_id: int) -> FileResponse:
    return _file(_run(request, run_id), "zpl")


@merchant_required
@require_POST
def order_tags_edit(request: HttpRequest, order_id: int) -> HttpResponse:
    order = get_order_for_merchant(request.merchant, order_id)
    form = TagsForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(" ".join(m for e in form.errors.values() for m in e))
        tags = set_order_tags(order=order, tags=form.cleaned_data["tags"])
    except ValidationError as error:
        messages.error(request, f"Tags not saved: {' '.join(error.messages)}")
    else:
        messages.success(request, f"Tags saved: {', '.join(tags) or 'none'}.")
    return redirect("order_detail", order_id=order.pk)
