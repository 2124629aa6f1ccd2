"""Fleet → Delivery services: own delivery per hub (area, costs, cut-off, waves)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from fulfillment.fleet.services import setup
from fulfillment.fleet.services.forms import FleetServiceForm
from fulfillment.fleet.services.selectors import (
    fleet_services_for_list,
    get_fleet_service_for_merchant,
)
from fulfillment.models import FleetService
from merchant.decorators import merchant_required
from merchant.form_errors import add_service_errors

TAB = {"nav_active": "fleet", "tab": "services"}
FIELD_OF = {
    "per_hour_minor": "per_hour",
    "per_km_minor": "per_km",
    "per_stop_minor": "per_stop",
    "kind": "area_kind",
}


def _save(
    request: HttpRequest, form: FleetServiceForm, fleet_service: FleetService | None
) -> FleetService | None:
    if not form.is_valid():
        return None
    try:
        return setup.save_fleet_service(
            merchant=request.merchant, fleet_service=fleet_service, **form.service_kwargs()
        )
    except ValidationError as exc:
        add_service_errors(form, exc, field_of=lambda name: FIELD_OF.get(name, name))
        return None


@merchant_required
@require_http_methods(["GET", "POST"])
def service_list(request: HttpRequest) -> HttpResponse:
    form = FleetServiceForm(request.POST or None, merchant=request.merchant)
    if request.method == "POST" and (saved := _save(request, form, None)) is not None:
        messages.success(
            request, f"Own delivery “{saved.name}” saved: rate shopping and checkout offer it."
        )
        return redirect("fleet_services")
    context = {"services": fleet_services_for_list(request.merchant), "form": form} | TAB
    return render(request, "fulfillment/fleet/services/list.html", context)


@merchant_required
@require_http_methods(["GET", "POST"])
def service_edit(request: HttpRequest, fleet_service_id: int) -> HttpResponse:
    fleet_service = get_fleet_service_for_merchant(request.merchant, fleet_service_id)
    form = FleetServiceForm(
        request.POST or None, merchant=request.merchant, fleet_service=fleet_service
    )
    if request.method == "POST" and _save(request, form, fleet_service) is not None:
        messages.success(request, f"Own delivery “{fleet_service.name}” saved.")
        return redirect("fleet_services")
    context = {"form": form, "fleet_service": fleet_service} | TAB
    return render(request, "fulfillment/fleet/services/edit.html", context)
