"""Today's work per storage point: counts polled by htmx, pick/pack/hand-over lists, bulk
moves and the printable pick list."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from fulfillment.models import Order
from fulfillment.orders.forms import BulkForm
from fulfillment.orders.selectors import today
from fulfillment.orders.services.picking import bulk_advance, pick_list_pdf
from merchant.decorators import merchant_required
from merchant.selectors.points import get_point_for_merchant

NAV = "work"


def _work_page(request: HttpRequest, point=None) -> HttpResponse:
    merchant = request.merchant
    counts = today.work_counts(merchant)
    if point is None and counts:
        point = counts[0].point
    context = {
        "counts": counts,
        "point": point,
        "nav_active": NAV,
        "updated_at": timezone.now(),
    }
    if point is not None:
        # Each list is capped in SQL (a busy point has tens of thousands of open orders); the
        # counts are complete and the page links to the full lists.
        to_pick = today.orders_at_point(merchant, point, Order.Status.ALLOCATED)
        to_pack = today.orders_at_point(merchant, point, Order.Status.PICKED)
        work = next((c for c in counts if c.point.pk == point.pk), today.PointWork(point))
        # One product more than shown tells whether there are more.
        pick_items = today.pick_list(
            merchant,
            point,
            products=today.PRODUCTS_SHOWN + 1,
            orders_each=today.ORDERS_PER_PRODUCT,
        )
        to_pick, to_pack = list(to_pick[: today.SHOWN]), list(to_pack[: today.SHOWN])
        context.update(
            work=work,
            pick_items=pick_items[: today.PRODUCTS_SHOWN],
            more_products=len(pick_items) > today.PRODUCTS_SHOWN,
            to_pick=to_pick,
            more_to_pick=max(work.to_pick - len(to_pick), 0),
            to_pack=to_pack,
            more_to_pack=max(work.to_pack - len(to_pack), 0),
            hand_over=today.hand_over_by_service(merchant, point),
        )
    return render(request, "fulfillment/today/work.html", context)


@merchant_required
@require_GET
def orders_today(request: HttpRequest) -> HttpResponse:
    return _work_page(request)


@merchant_required
@require_GET
def orders_today_point(request: HttpRequest, point_id: int) -> HttpResponse:
    return _work_page(request, get_point_for_merchant(request.merchant, point_id))


@merchant_required
@require_GET
def orders_today_counts(request: HttpRequest) -> HttpResponse:
    """The live counts fragment that the page polls."""
    selected = request.GET.get("point", "")
    return render(
        request,
        "fulfillment/today/_counts.html",
        {
            "counts": today.work_counts(request.merchant),
            "selected": int(selected) if selected.isdigit() else None,
            "updated_at": timezone.now(),
        },
    )


@merchant_required
@require_POST
def orders_bulk(request: HttpRequest, point_id: int) -> HttpResponse:
    point = get_point_for_merchant(request.merchant, point_id)
    form = BulkForm(request.POST)
    if not form.is_valid():
        problems = " ".join(m for errors in form.errors.values() for m in errors)
        messages.error(request, f"Nothing changed: {problems}")
        return redirect("orders_today_point", point_id=point.pk)
    to_status = form.cleaned_data["action"]
    try:
        result = bulk_advance(
            merchant=request.merchant,
            order_ids=form.cleaned_data["orders"],
            to_status=to_status,
            user=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("orders_today_point", point_id=point.pk)
    label = Order.Status(to_status).label.lower()
    if result.moved:
        messages.success(request, f"{len(result.moved)} order(s) marked {label}.")
    for order, reason in result.refused:
        messages.error(request, f"{order}: {reason}")
    return redirect("orders_today_point", point_id=point.pk)


@merchant_required
@require_GET
def orders_pick_list(request: HttpRequest, point_id: int) -> HttpResponse:
    point = get_point_for_merchant(request.merchant, point_id)
    pdf = pick_list_pdf(
        merchant=request.merchant, point=point, base_url=request.build_absolute_uri("/")
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'inline; filename="pick-list-{point.pk}-{stamp}.pdf"'
    return response
