"""Fleet → Vehicles: list, add, edit, retire."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from fulfillment.fleet.vehicles import services
from fulfillment.fleet.vehicles.forms import VehicleForm
from fulfillment.fleet.vehicles.selectors import get_vehicle_for_merchant, vehicles_for_list
from fulfillment.models import Vehicle
from merchant.decorators import merchant_required
from merchant.form_errors import add_service_errors

TAB = {"nav_active": "fleet", "tab": "vehicles"}
FIELD_OF = {"capacity_g": "capacity_weight", "capacity_ml": "capacity_litres"}


def _save(request: HttpRequest, form: VehicleForm, vehicle: Vehicle | None) -> Vehicle | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return services.save_vehicle(
            merchant=request.merchant,
            vehicle=vehicle,
            name=data["name"],
            kind=data["kind"],
            capacity_parcels=data["capacity_parcels"],
            capacity_g=form.grams(),
            capacity_ml=form.millilitres(),
            skills=data["skills"],
        )
    except ValidationError as exc:
        add_service_errors(form, exc, field_of=lambda name: FIELD_OF.get(name, name))
        return None


def _list_context(request: HttpRequest) -> dict:
    show_inactive = request.GET.get("inactive") == "1"
    return {
        "vehicles": vehicles_for_list(request.merchant, show_inactive=show_inactive),
        "show_inactive": show_inactive,
    }


@merchant_required
@require_http_methods(["GET", "POST"])
def vehicle_list(request: HttpRequest) -> HttpResponse:
    form = VehicleForm(request.POST or None, system=request.merchant.unit_system)
    if request.method == "POST" and (vehicle := _save(request, form, None)) is not None:
        messages.success(request, f"Vehicle “{vehicle.name}” added.")
        return redirect("fleet_vehicles")
    if request.htmx and request.method == "GET":
        return render(request, "fulfillment/fleet/vehicles/_table.html", _list_context(request))
    context = _list_context(request) | {"form": form} | TAB
    return render(request, "fulfillment/fleet/vehicles/list.html", context)


@merchant_required
@require_http_methods(["GET", "POST"])
def vehicle_edit(request: HttpRequest, vehicle_id: int) -> HttpResponse:
    vehicle = get_vehicle_for_merchant(request.merchant, vehicle_id)
    form = VehicleForm(request.POST or None, system=request.merchant.unit_system, vehicle=vehicle)
    if request.method == "POST" and _save(request, form, vehicle) is not None:
        messages.success(request, f"Vehicle “{vehicle.name}” saved.")
        return redirect("fleet_vehicles")
    context = {"form": form, "vehicle": vehicle} | TAB
    return render(request, "fulfillment/fleet/vehicles/edit.html", context)


@merchant_required
@require_POST
def vehicle_active(request: HttpRequest, vehicle_id: int) -> HttpResponse:
    vehicle = get_vehicle_for_merchant(request.merchant, vehicle_id)
    active = request.POST.get("active") == "1"
    services.set_vehicle_active(vehicle=vehicle, active=active)
    word = "in use again" if active else "retired: no new shifts take it"
    messages.success(request, f"Vehicle “{vehicle.name}” {word}.")
    if request.htmx:
        return render(request, "fulfillment/fleet/vehicles/_table.html", _list_context(request))
    return redirect("fleet_vehicles")
