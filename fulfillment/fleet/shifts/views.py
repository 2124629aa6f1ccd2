"""Fleet → Shifts: the coming shifts, add, edit, remove."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from fulfillment.fleet.shifts import services
from fulfillment.fleet.shifts.forms import ShiftForm
from fulfillment.fleet.shifts.selectors import get_shift_for_merchant, shifts_for_list
from fulfillment.models import Shift
from merchant.decorators import merchant_required
from merchant.form_errors import add_service_errors

TAB = {"nav_active": "fleet", "tab": "shifts"}
FIELD_OF = {"start": "start_point", "end": "end_point", "day": "date"}


def _place(point, address: str) -> services.Place | None:
    if point is None and not address.strip():
        return None
    return services.Place(point=point, address=address)


def _save(request: HttpRequest, form: ShiftForm, shift: Shift | None) -> Shift | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return services.save_shift(
            merchant=request.merchant,
            shift=shift,
            driver=data["driver"],
            vehicle=data["vehicle"],
            day=data["date"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            start=_place(data["start_point"], data["start_address"]),
            end=_place(data["end_point"], data["end_address"]),
            breaks=data["breaks"],
        )
    except ValidationError as exc:
        add_service_errors(form, exc, field_of=lambda name: FIELD_OF.get(name, name))
        return None


def _list_context(request: HttpRequest) -> dict:
    show_past = request.GET.get("past") == "1"
    today = timezone.localdate()
    shifts = shifts_for_list(request.merchant, since=None if show_past else today)
    page = Paginator(shifts, 50).get_page(request.GET.get("page"))
    return {"page_obj": page, "show_past": show_past}


@merchant_required
@require_http_methods(["GET", "POST"])
def shift_list(request: HttpRequest) -> HttpResponse:
    form = ShiftForm(request.POST or None, merchant=request.merchant)
    if request.method == "POST" and (shift := _save(request, form, None)) is not None:
        messages.success(request, f"Shift of {shift.driver.name} on {shift.date:%a %d %b} added.")
        return redirect("fleet_shifts")
    if request.htmx and request.method == "GET":
        return render(request, "fulfillment/fleet/shifts/_table.html", _list_context(request))
    context = _list_context(request) | {"form": form} | TAB
    return render(request, "fulfillment/fleet/shifts/list.html", context)


@merchant_required
@require_http_methods(["GET", "POST"])
def shift_edit(request: HttpRequest, shift_id: int) -> HttpResponse:
    shift = get_shift_for_merchant(request.merchant, shift_id)
    form = ShiftForm(request.POST or None, merchant=request.merchant, shift=shift)
    if request.method == "POST" and _save(request, form, shift) is not None:
        messages.success(request, f"Shift of {shift.driver.name} on {shift.date:%a %d %b} saved.")
        return redirect("fleet_shifts")
    context = {"form": form, "shift": shift} | TAB
    return render(request, "fulfillment/fleet/shifts/edit.html", context)


@merchant_required
@require_POST
def shift_delete(request: HttpRequest, shift_id: int) -> HttpResponse:
    shift = get_shift_for_merchant(request.merchant, shift_id)
    try:
        services.delete_shift(shift=shift)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Shift removed.")
    if request.htmx:
        return render(request, "fulfillment/fleet/shifts/_table.html", _list_context(request))
    return redirect("fleet_shifts")
