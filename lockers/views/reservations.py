"""The merchant's compartment reservations: every hold made at checkout, filterable."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lockers.forms import ReservationFilterForm
from lockers.models import LockerBank
from lockers.selectors.reservations import reservations_for_merchant
from lockers.views.network import NAV, PAGE_SIZE
from merchant.decorators import merchant_required


@merchant_required
@require_GET
def reservation_list(request: HttpRequest) -> HttpResponse:
    banks = list(
        LockerBank.objects.for_merchant(request.merchant)
        .order_by("name", "pk")
        .values_list("pk", "name")
    )
    form = ReservationFilterForm(request.GET or None, banks=banks)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    reservations = reservations_for_merchant(
        request.merchant,
        status=filters.get("status") or "",
        bank_id=filters.get("bank"),
        query=filters.get("q") or "",
    )
    page = Paginator(reservations, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form if form.is_bound else ReservationFilterForm(banks=banks),
        "page_obj": page,
        "filtered": any(filters.values()),
        "has_banks": bool(banks),
        "nav_active": NAV,
    }
    template = (
        "lockers/_reservation_table.html" if request.htmx else "lockers/reservation_list.html"
    )
    return render(request, template, context)
