"""Dashboard pages of the pickup network: list, map, import, and each bank and shop."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lockers.forms import NetworkFilterForm, NetworkImportForm
from lockers.selectors import network as selectors
from lockers.services import network as service
from lockers.services.network_import import ImportFailed, import_network
from merchant.decorators import merchant_required
from merchant.hours import week_rows

NAV = "pickup-network"
PAGE_SIZE = 25


@merchant_required
@require_GET
def network_list(request: HttpRequest) -> HttpResponse:
    form = NetworkFilterForm(request.GET or None)
    kind = active = ""
    if form.is_valid():
        kind, active = form.cleaned_data["kind"], form.cleaned_data["active"]
    kind = kind or "locker"
    flag = {"yes": True, "no": False}.get(active)
    places = (
        selectors.banks_for_merchant(request.merchant, active=flag)
        if kind == "locker"
        else selectors.shops_for_merchant(request.merchant, active=flag)
    )
    page = Paginator(places, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form if form.is_bound else NetworkFilterForm(initial={"kind": "locker"}),
        "page_obj": page,
        "kind": kind,
        "filtered": bool(active),
        "counts": service.merchant_place_counts(request.merchant),
        "nav_active": NAV,
    }
    template = "lockers/_network_table.html" if request.htmx else "lockers/network_list.html"
    return render(request, template, context)


@merchant_required
@require_GET
def network_map(request: HttpRequest) -> HttpResponse:
    data = selectors.map_data(request.merchant)
    data["tiles"] = {
        "url": settings.NEARBOX_MAP_TILES_URL,
        "attribution": settings.NEARBOX_MAP_TILES_ATTRIBUTION,
    }
    data["urls"] = {
        "locker": reverse("pickup_bank_detail", args=[0]),
        "shop": reverse("pickup_shop_detail", args=[0]),
    }
    return render(request, "lockers/network_map.html", {"map_data": data, "nav_active": NAV})


@merchant_required
@require_http_methods(["GET", "POST"])
def network_import(request: HttpRequest) -> HttpResponse:
    form = NetworkImportForm(request.POST or None, request.FILES or None)
    errors = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = import_network(
                merchant=request.merchant, filename=upload.name, data=upload.read()
            )
        except ImportFailed as exc:
            errors = exc.report
        else:
            messages.success(request, f"Imported {upload.name}: {report.message}")
            return redirect("pickup_network")
    return render(
        request,
        "lockers/network_import.html",
        {"form": form, "report": errors, "nav_active": NAV},
    )


def _staff_link(request: HttpRequest, place, name: str) -> str:
    return request.build_absolute_uri(reverse(name, args=[service.staff_link_token(place)]))


@merchant_required
@require_GET
def bank_detail(request: HttpRequest, bank_id: int) -> HttpResponse:
    bank = selectors.get_bank_for_merchant(request.merchant, bank_id)
    compartments = Paginator(bank.compartments.order_by("label"), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "lockers/bank_detail.html",
        {
            "bank": bank,
            "summary": selectors.compartment_summary(bank),
            "page_obj": compartments,
            "parcels": selectors.parcels_waiting(bank)[:50],
            "hours": week_rows(bank.opening_hours, always=bank.is_24_7),
            "terminal_link": _staff_link(request, bank, "pickup_terminal"),
            "nav_active": NAV,
        },
    )


@merchant_required
@require_GET
def shop_detail(request: HttpRequest, shop_id: int) -> HttpResponse:
    shop = selectors.get_shop_for_merchant(request.merchant, shop_id)
    parcels = selectors.parcels_waiting(shop)
    return render(
        request,
        "lockers/shop_detail.html",
        {
            "shop": shop,
            "parcels": parcels[:50],
            "waiting": parcels.count(),
            "hours": week_rows(shop.opening_hours),
            "counter_link": _staff_link(request, shop, "pickup_counter"),
            "nav_active": NAV,
        },
    )


@merchant_required
@require_POST
def compartment_state(request: HttpRequest, compartment_id: int) -> HttpResponse:
    compartment = selectors.get_compartment_for_merchant(request.merchant, compartment_id)
    out_of_order = request.POST.get("out_of_order") == "1"
    try:
        compartment = service.set_compartment_out_of_order(
            compartment=compartment, out_of_order=out_of_order
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"Compartment {compartment.label} is {compartment.get_state_display().lower()}.",
        )
    return redirect("pickup_bank_detail", bank_id=compartment.bank_id)


def _place_action(request: HttpRequest, place, detail: str, key: str) -> HttpResponse:
    action = request.POST.get("action")
    if action == "rotate_link":
        service.rotate_staff_link(place=place)
        messages.success(request, "A new link was made; the old one no longer works.")
    elif action in {"activate", "deactivate"}:
        service.set_place_active(place=place, active=action == "activate")
        state = "active" if action == "activate" else "inactive"
        messages.success(request, f"“{place.name}” is now {state}.")
    else:
        messages.error(request, "Unknown action.")
    return redirect(detail, **{key: place.pk})


@merchant_required
@require_POST
def bank_action(request: HttpRequest, bank_id: int) -> HttpResponse:
    bank = selectors.get_bank_for_merchant(request.merchant, bank_id)
    return _place_action(request, bank, "pickup_bank_detail", "bank_id")


@merchant_required
@require_POST
def shop_action(request: HttpRequest, shop_id: int) -> HttpResponse:
    shop = selectors.get_shop_for_merchant(request.merchant, shop_id)
    return _place_action(request, shop, "pickup_shop_detail", "shop_id")
