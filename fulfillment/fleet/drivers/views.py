"""Fleet → Drivers: list, invite (a sign-in link by email and/or SMS), edit, deactivate."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from fulfillment.fleet.drivers.forms import DriverForm
from fulfillment.fleet.drivers.selectors import drivers_for_list, get_driver_for_merchant
from fulfillment.fleet.drivers.services import drivers as service
from merchant.decorators import merchant_required
from merchant.form_errors import add_service_errors

TAB = {"nav_active": "fleet", "tab": "drivers"}


def _list_context(request: HttpRequest) -> dict:
    show_inactive = request.GET.get("inactive") == "1"
    page = Paginator(drivers_for_list(request.merchant, show_inactive=show_inactive), 50)
    return {"page_obj": page.get_page(request.GET.get("page")), "show_inactive": show_inactive}


def _sent_text(links: list) -> str:
    return " and ".join(link.sent_to for link in links)


@merchant_required
@require_http_methods(["GET", "POST"])
def driver_list(request: HttpRequest) -> HttpResponse:
    form = DriverForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            driver = service.save_driver(
                merchant=request.merchant,
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            text = f"Driver “{driver.name}” added."
            if data["channels"]:
                try:
                    links = service.send_sign_in_link(driver=driver, channels=data["channels"])
                except ValidationError as exc:
                    messages.warning(request, f"{text} No link sent: {' '.join(exc.messages)}")
                    return redirect("fleet_drivers")
                text += f" Sign-in link sent to {_sent_text(links)}."
            messages.success(request, text)
            return redirect("fleet_drivers")
    if request.htmx and request.method == "GET":
        return render(request, "fulfillment/fleet/drivers/_table.html", _list_context(request))
    return render(
        request,
        "fulfillment/fleet/drivers/list.html",
        _list_context(request) | {"form": form} | TAB,
    )


@merchant_required
@require_http_methods(["GET", "POST"])
def driver_edit(request: HttpRequest, driver_id: int) -> HttpResponse:
    driver = get_driver_for_merchant(request.merchant, driver_id)
    form = DriverForm(request.POST or None, driver=driver)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            service.save_driver(
                merchant=request.merchant,
                driver=driver,
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Driver “{driver.name}” saved.")
            return redirect("fleet_drivers")
    return render(
        request, "fulfillment/fleet/drivers/edit.html", {"form": form, "driver": driver} | TAB
    )


@merchant_required
@require_POST
def driver_send_link(request: HttpRequest, driver_id: int) -> HttpResponse:
    driver = get_driver_for_merchant(request.merchant, driver_id)
    try:
        links = service.send_sign_in_link(driver=driver, channels=request.POST.getlist("channel"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Sign-in link sent to {_sent_text(links)}.")
    if request.htmx:
        return render(request, "fulfillment/fleet/drivers/_table.html", _list_context(request))
    return redirect("fleet_drivers")


@merchant_required
@require_POST
def driver_active(request: HttpRequest, driver_id: int) -> HttpResponse:
    driver = get_driver_for_merchant(request.merchant, driver_id)
    active = request.POST.get("active") == "1"
    service.set_driver_active(driver=driver, active=active)
    word = "active again" if active else "deactivated: signed out, unused links void"
    messages.success(request, f"Driver “{driver.name}” {word}.")
    if request.htmx:
        return render(request, "fulfillment/fleet/drivers/_table.html", _list_context(request))
    return redirect("fleet_drivers")
