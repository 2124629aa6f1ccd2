"""Settings → Boxes: the shop's box presets (list, add, edit, deactivate) and their defaults."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from fulfillment.boxes.forms import BoxForm
from fulfillment.boxes.selectors import boxes_for_list, get_box_for_merchant
from fulfillment.boxes.services import presets
from fulfillment.models import BoxPreset
from merchant.decorators import merchant_required
from merchant.form_errors import add_service_errors
from merchant.models import Merchant


def _save(form: BoxForm, merchant: Merchant, box: BoxPreset | None) -> BoxPreset | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        saved = presets.save_box(
            merchant=merchant,
            box=box,
            name=data["name"],
            inner_length_mm=data["length"],
            inner_width_mm=data["width"],
            inner_height_mm=data["height"],
            empty_weight_g=data["empty_weight"],
            max_weight_g=data["max_weight"],
        )
        presets.set_box_defaults(
            merchant=merchant, box=saved, points=data["points"], products=data["skus"]
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None
    return saved


def _list_context(request: HttpRequest) -> dict:
    show_inactive = request.GET.get("inactive") == "1"
    return {
        "boxes": boxes_for_list(request.merchant, show_inactive=show_inactive),
        "show_inactive": show_inactive,
    }


@merchant_required
@require_http_methods(["GET", "POST"])
def box_list(request: HttpRequest) -> HttpResponse:
    form = BoxForm(request.POST or None, merchant=request.merchant)
    if request.method == "POST":
        box = _save(form, request.merchant, None)
        if box is not None:
            messages.success(request, f"Box “{box.name}” saved.")
            return redirect("boxes")
    if request.htmx and request.method == "GET":
        return render(request, "fulfillment/boxes/_box_table.html", _list_context(request))
    context = _list_context(request) | {"form": form, "nav_active": "settings", "tab": "boxes"}
    return render(request, "fulfillment/boxes/list.html", context)


@merchant_required
@require_http_methods(["GET", "POST"])
def box_edit(request: HttpRequest, box_id: int) -> HttpResponse:
    box = get_box_for_merchant(request.merchant, box_id)
    form = BoxForm(request.POST or None, merchant=request.merchant, box=box)
    if request.method == "POST" and _save(form, request.merchant, box) is not None:
        messages.success(request, f"Box “{box.name}” saved.")
        return redirect("boxes")
    return render(
        request,
        "fulfillment/boxes/edit.html",
        {"form": form, "box": box, "nav_active": "settings", "tab": "boxes"},
    )


@merchant_required
@require_POST
def box_active(request: HttpRequest, box_id: int) -> HttpResponse:
    box = get_box_for_merchant(request.merchant, box_id)
    active = request.POST.get("active") == "1"
    try:
        presets.set_active(box=box, active=active)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        word = "back in use" if active else "deactivated: no longer chosen or offered"
        messages.success(request, f"Box “{box.name}” {word}.")
    if request.htmx:
        return render(request, "fulfillment/boxes/_box_table.html", _list_context(request))
    return redirect("boxes")
