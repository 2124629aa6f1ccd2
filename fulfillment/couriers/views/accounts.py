"""Couriers pages: the list (accounts, services, areas, rate cards, scorecard, last error) and
the forms for accounts, services with their rate card, areas and the merchant's rule."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fulfillment.couriers.forms import AccountForm, AreaForm, RuleForm, ServiceForm
from fulfillment.couriers.selectors import (
    accounts_overview,
    get_account_for_merchant,
    get_area_for_merchant,
    get_service_for_merchant,
)
from fulfillment.couriers.services import accounts as service
from fulfillment.couriers.services.accounts import DRIVER_LINK_MAX_AGE, shipping_settings
from fulfillment.couriers.services.scorecard import scorecard
from merchant.decorators import merchant_required
from merchant.form_errors import add_service_errors
from merchant.money import format_money, money_in

NAV = "couriers"


@merchant_required
@require_GET
def courier_list(request: HttpRequest) -> HttpResponse:
    accounts = list(accounts_overview(request.merchant))
    scores = scorecard(request.merchant)
    rows = []
    for account in accounts:
        services = []

        def shown(minor: int, account=account) -> str:  # a rate card in the merchant's currency
            return money_in(
                minor, currency=account.currency, merchant_currency=request.merchant.currency
            )

        for svc in account.services.all():
            line = scores.get((account.pk, svc.pk))
            services.append(
                {
                    "service": svc,
                    "base": shown(svc.base_minor),
                    "per_km": shown(svc.per_km_minor),
                    "per_kg": shown(svc.per_kg_minor),
                    "minimum": shown(svc.minimum_minor),
                    "score": line,
                    "cost": format_money(line.cost_per_parcel_minor, line.currency)
                    if line and line.cost_per_parcel_minor is not None
                    else "",
                }
            )
        rows.append({"account": account, "services": services, "areas": account.areas.all()})
    return render(
        request,
        "fulfillment/couriers/list.html",
        {"rows": rows, "rule": shipping_settings(request.merchant), "nav_active": NAV},
    )


@merchant_required
@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    # ?courier=dpd (the page's "Show its credentials"): that courier's credential inputs.
    initial = {"currency": request.merchant.currency, "courier": request.GET.get("courier", "")}
    form = AccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            account = service.create_account(merchant=request.merchant, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Courier account “{account.name}” added.")
            return redirect("couriers")
    return render(
        request,
        "fulfillment/couriers/account_form.html",
        {"form": form, "account": None, "nav_active": NAV},
    )


@merchant_required
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, account_id: int) -> HttpResponse:
    account = get_account_for_merchant(request.merchant, account_id)
    form = AccountForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            service.update_account(account=account, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Courier account “{account.name}” saved.")
            return redirect("couriers")
    return render(
        request,
        "fulfillment/couriers/account_form.html",
        {"form": form, "account": account, "nav_active": NAV},
    )


@merchant_required
@require_http_methods(["GET", "POST"])
def service_create(request: HttpRequest, account_id: int) -> HttpResponse:
    account = get_account_for_merchant(request.merchant, account_id)
    form = ServiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            svc = service.create_service(account=account, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Service “{svc.name}” added to {account.name}.")
            return redirect("couriers")
    return render(
        request,
        "fulfillment/couriers/service_form.html",
        {"form": form, "account": account, "service": None, "nav_active": NAV},
    )


@merchant_required
@require_http_methods(["GET", "POST"])
def service_edit(request: HttpRequest, service_id: int) -> HttpResponse:
    svc = get_service_for_merchant(request.merchant, service_id)
    form = ServiceForm(request.POST or None, service=svc)
    if request.method == "POST" and form.is_valid():
        try:
            service.update_service(service=svc, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Service “{svc.name}” saved.")
            return redirect("couriers")
    return render(
        request,
        "fulfillment/couriers/service_form.html",
        {"form": form, "account": svc.account, "service": svc, "nav_active": NAV},
    )


def _area_fields(form: AreaForm) -> dict:
    data = dict(form.cleaned_data)
    return data


@merchant_required
@require_http_methods(["GET", "POST"])
def area_create(request: HttpRequest, account_id: int) -> HttpResponse:
    account = get_account_for_merchant(request.merchant, account_id)
    form = AreaForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            service.create_area(account=account, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Service area added to {account.name}.")
            return redirect("couriers")
    return render(
        request,
        "fulfillment/couriers/area_form.html",
        {"form": form, "account": account, "area": None, "nav_active": NAV},
    )


@merchant_required
@require_http_methods(["GET", "POST"])
def area_edit(request: HttpRequest, area_id: int) -> HttpResponse:
    area = get_area_for_merchant(request.merchant, area_id)
    form = AreaForm(request.POST or None, account=area.account, area=area)
    if request.method == "POST" and form.is_valid():
        try:
            service.update_area(area=area, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Service area saved.")
            return redirect("couriers")
    return render(
        request,
        "fulfillment/couriers/area_form.html",
        {"form": form, "account": area.account, "area": area, "nav_active": NAV},
    )


@merchant_required
@require_POST
def area_delete(request: HttpRequest, area_id: int) -> HttpResponse:
    area = get_area_for_merchant(request.merchant, area_id)
    service.delete_area(area=area)
    messages.success(request, "Service area removed.")
    return redirect("couriers")


@merchant_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest) -> HttpResponse:
    current = shipping_settings(request.merchant)
    form = RuleForm(
        request.POST or None,
        merchant=request.merchant,
        initial={
            "rule": current.rule,
            "preferred_account": current.preferred_account_id,
            "tolerance_pct": current.tolerance_pct,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            service.set_rule(merchant=request.merchant, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Courier rule saved.")
            return redirect("couriers")
    return render(request, "fulfillment/couriers/rule_form.html", {"form": form, "nav_active": NAV})


@merchant_required
@require_GET
def driver_link(request: HttpRequest, account_id: int) -> HttpResponse:
    account = get_account_for_merchant(request.merchant, account_id)
    try:
        token = service.driver_token(account=account)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("couriers")
    url = request.build_absolute_uri(reverse("driver_page", args=[token]))
    return render(
        request,
        "fulfillment/couriers/driver_link.html",
        {
            "account": account,
            "url": url,
            "hours": int(DRIVER_LINK_MAX_AGE.total_seconds() // 3600),
            "nav_active": NAV,
        },
    )
