"""Storage-point pages: list, map, create, edit, detail and the activate/deactivate/delete
actions. Each view calls the points service or selectors and shapes the answer."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from merchant.decorators import merchant_required
from merchant.form_errors import add_service_errors
from merchant.forms.points import DeactivateForm, StoragePointForm
from merchant.hours import week_rows
from merchant.models import StoragePoint
from merchant.money import format_money
from merchant.selectors.points import (
    get_point_for_merchant,
    points_for_merchant,
    points_map_data,
    stock_at_point,
)
from merchant.services import points as service

NAV = "storage-points"
PAGE_SIZE = 25


@merchant_required
@require_GET
def point_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(points_for_merchant(request.merchant), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    currency = request.merchant.currency
    rows = [
        {
            "point": point,
            "monthly_cost": format_money(point.monthly_cost, currency),
            "cost_per_order": format_money(point.cost_per_order, currency),
        }
        for point in page.object_list
    ]
    template = "merchant/points/_table.html" if request.htmx else "merchant/points/list.html"
    return render(request, template, {"page_obj": page, "rows": rows, "nav_active": NAV})


@merchant_required
@require_GET
def points_map(request: HttpRequest) -> HttpResponse:
    data = points_map_data(request.merchant)
    unlocated = points_for_merchant(request.merchant).filter(latitude__isnull=True).count()
    return render(
        request,
        "merchant/points/map.html",
        {"map_data": data, "unlocated": unlocated, "nav_active": NAV},
    )


@merchant_required
@require_http_methods(["GET", "POST"])
def point_create(request: HttpRequest) -> HttpResponse:
    form = StoragePointForm(request.POST or None, currency=request.merchant.currency)
    if request.method == "POST" and form.is_valid():
        try:
            point = service.create_point(merchant=request.merchant, **form.service_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            _report_saved(request, point, "added")
            return redirect("point_detail", point_id=point.pk)
    return render(
        request,
        "merchant/points/form.html",
        {"form": form, "point": None, "nav_active": NAV},
    )


@merchant_required
@require_http_methods(["GET", "POST"])
def point_edit(request: HttpRequest, point_id: int) -> HttpResponse:
    point = get_point_for_merchant(request.merchant, point_id)
    form = StoragePointForm(request.POST or None, currency=request.merchant.currency, point=point)
    if request.method == "POST" and form.is_valid():
        try:
            point = service.update_point(point=point, **form.service_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            _report_saved(request, point, "saved")
            return redirect("point_detail", point_id=point.pk)
    return render(
        request,
        "merchant/points/form.html",
        {"form": form, "point": point, "nav_active": NAV},
    )


@merchant_required
@require_GET
def point_detail(request: HttpRequest, point_id: int) -> HttpResponse:
    point = get_point_for_merchant(request.merchant, point_id)
    currency = request.merchant.currency
    return render(
        request,
        "merchant/points/detail.html",
        {
            "point": point,
            "stock": stock_at_point(point),
            "monthly_cost": format_money(point.monthly_cost, currency),
            "cost_per_order": format_money(point.cost_per_order, currency),
            "hours": week_rows(point.opening_hours),
            "deactivate_form": DeactivateForm(),
            "nav_active": NAV,
        },
    )


@merchant_required
@require_POST
def point_deactivate(request: HttpRequest, point_id: int) -> HttpResponse:
    point = get_point_for_merchant(request.merchant, point_id)
    form = DeactivateForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("reason", ["Check the reason."])))
        return redirect("point_detail", point_id=point.pk)
    point = service.deactivate_point(point=point, reason=form.cleaned_data["reason"])
    messages.success(request, f"“{point.name}” is now inactive: {point.inactive_reason}")
    return redirect("point_detail", point_id=point.pk)


@merchant_required
@require_POST
def point_activate(request: HttpRequest, point_id: int) -> HttpResponse:
    point = get_point_for_merchant(request.merchant, point_id)
    try:
        point = service.activate_point(point=point)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"“{point.name}” is active again.")
    return redirect("point_detail", point_id=point.pk)


@merchant_required
@require_POST
def point_delete(request: HttpRequest, point_id: int) -> HttpResponse:
    point = get_point_for_merchant(request.merchant, point_id)
    try:
        service.delete_point(point=point)
    except service.PointInUse as exc:
        messages.error(request, exc.message)
        return redirect("point_detail", point_id=point.pk)
    messages.success(request, f"“{point.name}” was deleted.")
    return redirect("points")


def _report_saved(request: HttpRequest, point: StoragePoint, verb: str) -> None:
    if point.is_active or not point.inactive_reason.startswith(service.ADDRESS_REASON_PREFIX):
        messages.success(request, f"Storage point “{point.name}” {verb}.")
    else:
        messages.warning(
            request,
            f"Storage point “{point.name}” {verb}, but as inactive: {point.inactive_reason} "
            "Correct the address to put it on the map and in use.",
        )
