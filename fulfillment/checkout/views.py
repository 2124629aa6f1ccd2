"""Pages: Settings → Checkout rules (list in order, up/down, add/edit, delete, and the preview
"for this cart to this ZIP the shopper sees…") and Couriers → Rules (courier rules per point
and destination). Thin: forms read input, services decide, selectors read."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fulfillment.checkout.forms import FIELD_OF, CheckoutRuleForm, CourierRuleForm, PreviewForm
from fulfillment.checkout.selectors import (
    checkout_rules,
    courier_rules,
    get_checkout_rule_for_merchant,
    get_courier_rule_for_merchant,
)
from fulfillment.checkout.services import rules as service
from fulfillment.checkout.services.preview import PreviewCart, preview
from fulfillment.couriers.services.accounts import shipping_settings
from merchant.decorators import merchant_required
from merchant.form_errors import add_service_errors

SETTINGS_NAV = "settings"
COURIERS_NAV = "couriers"


# --- checkout rules ---------------------------------------------------------------------------


def _checkout_page(request: HttpRequest, form: PreviewForm, answer: dict | None) -> HttpResponse:
    return render(
        request,
        "fulfillment/checkout/rules.html",
        {
            "rules": list(checkout_rules(request.merchant)),
            "form": form,
            "answer": answer,
            "tab": "checkout",
            "nav_active": SETTINGS_NAV,
        },
    )


@merchant_required
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    return _checkout_page(request, PreviewForm(merchant=request.merchant), None)


@merchant_required
@require_POST
def rule_preview(request: HttpRequest) -> HttpResponse:
    """The preview's answer: the fragment for htmx, else the whole page with it."""
    form = PreviewForm(request.POST, merchant=request.merchant)
    answer = None
    if form.is_valid():
        try:
            answer = preview(merchant=request.merchant, cart=PreviewCart(**form.preview_cart()))
        except ValidationError as exc:
            add_service_errors(form, exc)
    if request.htmx:
        return render(
            request,
            "fulfillment/checkout/_preview.html",
            {"form": form, "answer": answer, "currency": request.merchant.currency},
        )
    return _checkout_page(request, form, answer)


def _rule_form(request: HttpRequest, rule: Any | None) -> HttpResponse:
    initial = CheckoutRuleForm.initial_for(rule) if rule else {"is_active": True}
    form = CheckoutRuleForm(request.POST or None, merchant=request.merchant, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            service.save_checkout_rule(
                merchant=request.merchant, rule=rule, data=form.service_data()
            )
        except ValidationError as exc:
            add_service_errors(form, exc, field_of=lambda name: FIELD_OF.get(name, name))
        else:
            messages.success(request, "Checkout rule saved.")
            return redirect("checkout_rules")
    return render(
        request,
        "fulfillment/checkout/rule_form.html",
        {"form": form, "rule": rule, "tab": "checkout", "nav_active": SETTINGS_NAV},
    )


@merchant_required
@require_http_methods(["GET", "POST"])
def rule_create(request: HttpRequest) -> HttpResponse:
    return _rule_form(request, None)


@merchant_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, checkout_rule_id: int) -> HttpResponse:
    return _rule_form(request, get_checkout_rule_for_merchant(request.merchant, checkout_rule_id))


def _moved(request: HttpRequest, rule: Any, to: str) -> HttpResponse:
    by = -1 if request.POST.get("direction") == "up" else 1
    service.move(merchant=request.merchant, rule=rule, by=by)
    return redirect(to)


@merchant_required
@require_POST
def rule_move(request: HttpRequest, checkout_rule_id: int) -> HttpResponse:
    rule = get_checkout_rule_for_merchant(request.merchant, checkout_rule_id)
    return _moved(request, rule, "checkout_rules")


@merchant_required
@require_POST
def rule_delete(request: HttpRequest, checkout_rule_id: int) -> HttpResponse:
    service.delete_rule(rule=get_checkout_rule_for_merchant(request.merchant, checkout_rule_id))
    messages.success(request, "Checkout rule removed.")
    return redirect("checkout_rules")


# --- courier rules ----------------------------------------------------------------------------


@merchant_required
@require_GET
def courier_rule_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "fulfillment/checkout/courier_rules.html",
        {
            "rules": list(courier_rules(request.merchant)),
            "global_rule": shipping_settings(request.merchant),
            "nav_active": COURIERS_NAV,
        },
    )


def _courier_form(request: HttpRequest, rule: Any | None) -> HttpResponse:
    initial = CourierRuleForm.initial_for(rule) if rule else {"is_active": True}
    form = CourierRuleForm(request.POST or None, merchant=request.merchant, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            service.save_courier_rule(
                merchant=request.merchant, rule=rule, data=dict(form.cleaned_data)
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Courier rule saved.")
            return redirect("courier_rules")
    return render(
        request,
        "fulfillment/checkout/courier_rule_form.html",
        {"form": form, "rule": rule, "nav_active": COURIERS_NAV},
    )


@merchant_required
@require_http_methods(["GET", "POST"])
def courier_rule_create(request: HttpRequest) -> HttpResponse:
    return _courier_form(request, None)


@merchant_required
@require_http_methods(["GET", "POST"])
def courier_rule_edit(request: HttpRequest, courier_rule_id: int) -> HttpResponse:
    return _courier_form(request, get_courier_rule_for_merchant(request.merchant, courier_rule_id))


@merchant_required
@require_POST
def courier_rule_move(request: HttpRequest, courier_rule_id: int) -> HttpResponse:
    rule = get_courier_rule_for_merchant(request.merchant, courier_rule_id)
    return _moved(request, rule, "courier_rules")


@merchant_required
@require_POST
def courier_rule_delete(request: HttpRequest, courier_rule_id: int) -> HttpResponse:
    service.delete_rule(rule=get_courier_rule_for_merchant(request.merchant, courier_rule_id))
    messages.success(request, "Courier rule removed.")
    return redirect("courier_rules")
