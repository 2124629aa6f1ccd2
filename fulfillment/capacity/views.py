"""Capacity: the next 14 days per storage point (expected parcels against own drivers and
booked courier pick-ups, with advice), and the booked pick-ups (add, edit, remove)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from fulfillment.capacity import services
from fulfillment.capacity.chart import capacity_chart
from fulfillment.capacity.forms import PickupForm
from fulfillment.capacity.selectors import (
    capacity_outlook,
    get_pickup_for_merchant,
    pickups_for_list,
)
from fulfillment.models import CourierPickup
from merchant.decorators import merchant_required
from merchant.form_errors import add_service_errors
from merchant.selectors.demand import merchant_today
from merchant.selectors.points import get_point_for_merchant

NAV = {"nav_active": "capacity"}


def _save(request: HttpRequest, form: PickupForm, pickup: CourierPickup | None):
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return services.save_pickup(
            merchant=request.merchant,
            pickup=pickup,
            point=data["point"],
            account=data["account"],
            weekdays=data["weekdays"],
            dates=data["dates"],
            max_parcels=data["max_parcels"],
            pickup_time=data["pickup_time"],
            note=data["note"],
            is_active=data["is_active"],
            today=merchant_today(request.merchant),
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None


def _chosen_point(request: HttpRequest) -> int | None:
    raw = request.GET.get("point") or ""
    if not raw:
        return None
    try:
        return get_point_for_merchant(request.merchant, raw).pk
    except Http404:
        return None  # an unknown or foreign id shows the first point, never another shop's


@merchant_required
@require_http_methods(["GET", "POST"])
def capacity_page(request: HttpRequest) -> HttpResponse:
    form = PickupForm(
        request.POST or None,
        merchant=request.merchant,
        initial=None if request.method == "POST" else {"is_active": True},
    )
    if request.method == "POST" and (pickup := _save(request, form, None)) is not None:
        messages.success(
            request, f"Pick-up by {pickup.account.name} at {pickup.point.name} booked."
        )
        return redirect(f"{reverse('capacity')}?point={pickup.point_id}")
    outlook = capacity_outlook(request.merchant)
    point_id = _chosen_point(request)
    current = next((p for p in outlook.points if p.point.pk == point_id), None)
    current = current or (outlook.points[0] if outlook.points else None)
    context = {
        "outlook": outlook,
        "current": current,
        "chart": capacity_chart(current.days) if current else None,
        "pickups": pickups_for_list(
            request.merchant, point_id=current.point.pk if current else None
        ),
        "form": form,
    } | NAV
    fragment = request.htmx and not request.htmx.history_restore_request
    template = "fulfillment/capacity/_point.html" if fragment else "fulfillment/capacity/index.html"
    return render(request, template, context)


@merchant_required
@require_http_methods(["GET", "POST"])
def pickup_edit(request: HttpRequest, pickup_id: int) -> HttpResponse:
    pickup = get_pickup_for_merchant(request.merchant, pickup_id)
    form = PickupForm(request.POST or None, merchant=request.merchant, pickup=pickup)
    if request.method == "POST" and _save(request, form, pickup) is not None:
        messages.success(request, "Pick-up saved.")
        return redirect(f"{reverse('capacity')}?point={pickup.point_id}")
    return render(request, "fulfillment/capacity/edit.html", {"form": form, "pickup": pickup} | NAV)


@merchant_required
@require_POST
def pickup_delete(request: HttpRequest, pickup_id: int) -> HttpResponse:
    pickup = get_pickup_for_merchant(request.merchant, pickup_id)
    point_id = pickup.point_id
    services.delete_pickup(pickup=pickup)
    messages.success(request, "Pick-up removed.")
    return redirect(f"{reverse('capacity')}?point={point_id}")
