"""The merchant's Returns pages: requests to approve or reject (with a note), receiving a
parcel (by its row or a drop-off code typed at the counter), and the return settings."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fulfillment.models.returns import ReturnRequest
from fulfillment.returns import selectors
from fulfillment.returns.forms import DecisionForm, ReceiveCodeForm, ReturnSettingsForm
from fulfillment.returns.services import requests as services
from fulfillment.returns.services.settings import get_return_settings, update_return_settings
from merchant.decorators import merchant_required

NAV = "returns"
PER_PAGE = 50


@merchant_required
@require_GET
def return_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    state = state if state in ReturnRequest.State.values else ""
    page = Paginator(
        selectors.returns_for_merchant(request.merchant, state=state), PER_PAGE
    ).get_page(request.GET.get("page"))
    context = {
        "nav_active": NAV,
        "page_obj": page,
        "returns": page.object_list,
        "state": state,
        "states": ReturnRequest.State.choices,
        "query": urlencode({"state": state}) if state else "",
        "code_form": ReceiveCodeForm(),
        "portal_url": request.build_absolute_uri(
            reverse("returns_portal", kwargs={"slug": request.merchant.slug})
        ),
    }
    return render(request, "fulfillment/returns/return_list.html", context)


ACTIONS = {
    "approve": (services.approve_return, "Return approved."),
    "reject": (services.reject_return, "Return rejected."),
}


@merchant_required
@require_POST
def return_action(request: HttpRequest, return_id: int, action: str) -> HttpResponse:
    found = selectors.get_return_for_merchant(request.merchant, return_id)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if action == "receive":
            services.receive_return(merchant=request.merchant, request=found, user=request.user)
            messages.success(
                request, "Return received: the order is returned and its items are back in stock."
            )
        elif action in ACTIONS:
            act, done = ACTIONS[action]
            act(merchant=request.merchant, request=found, user=request.user, note=note)
            messages.success(request, done)
        else:
            messages.error(request, "Unknown action.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("returns")


@merchant_required
@require_POST
def return_receive_code(request: HttpRequest) -> HttpResponse:
    form = ReceiveCodeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Type the drop-off code the shopper shows you.")
        return redirect("returns")
    try:
        found = services.receive_by_code(
            merchant=request.merchant, code=form.cleaned_data["code"], user=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        reference = found.order.reference or found.order_id
        messages.success(request, f"Return of order {reference} received.")
    return redirect("returns")


@merchant_required
@require_http_methods(["GET", "POST"])
def return_settings(request: HttpRequest) -> HttpResponse:
    prefs = get_return_settings(request.merchant)
    form = ReturnSettingsForm.for_settings(prefs, request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                update_return_settings(
                    merchant=request.merchant,
                    window_days=data["window_days"],
                    reasons=data["reasons"].splitlines(),
                    auto_approve=data["auto_approve"],
                    allow_label=data["allow_label"],
                    allow_dropoff=data["allow_dropoff"],
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, "Return settings saved.")
                return redirect("return_settings")
    return render(
        request,
        "fulfillment/returns/settings.html",
        {"form": form, "nav_active": NAV},
        status=status,
    )
