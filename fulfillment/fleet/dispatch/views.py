"""Dispatcher board (#16 item 6): a live map of today's drivers (the fragment is polled by htmx
every few seconds), each route's progress, the stops at risk of missing their window, reassigning
a stop (re-checked like a move on the plan page), and inserting new same-day orders into the
running routes."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from fulfillment.fleet.dispatch import selectors, services
from fulfillment.fleet.plans.selectors import get_stop_for_merchant
from fulfillment.fleet.plans.services import editing
from fulfillment.fleet.plans.services.planning import today_for
from fulfillment.models import Route
from merchant.decorators import merchant_required
from merchant.models import get_for_merchant_or_404

NAV = "fleet"


@merchant_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    today = today_for(request.merchant)
    context = {
        **selectors.board(request.merchant, today),
        "today": today,
        "waiting": services.waiting_orders(request.merchant, today),
        "nav_active": NAV,
        "tab": "dispatch",
    }
    if request.htmx:
        return render(request, "fulfillment/fleet/dispatch/_board.html", context)
    return render(request, "fulfillment/fleet/dispatch/board.html", context)


@merchant_required
@require_POST
def reassign_stop(request: HttpRequest, stop_id: int) -> HttpResponse:
    stop = get_stop_for_merchant(request.merchant, stop_id)
    route = get_for_merchant_or_404(Route, request.merchant, request.POST.get("route"))
    try:
        editing.move_stop(stop=stop, route=route)
    except ValidationError as error:
        messages.error(request, "Not reassigned: " + " ".join(error.messages))
    else:
        messages.success(request, f"Stop given to {route.driver.name}; both routes re-timed.")
    return redirect("fleet_dispatch")


@merchant_required
@require_POST
def insert_waiting(request: HttpRequest) -> HttpResponse:
    today = today_for(request.merchant)
    inserted, refused = 0, []
    for order in services.waiting_orders(request.merchant, today):
        try:
            services.insert_order(order=order)
            inserted += 1
        except ValidationError as error:
            refused.append(f"{order.reference or order.pk}: {' '.join(error.messages)}")
    if inserted:
        messages.success(request, f"{inserted} order{'s' if inserted != 1 else ''} inserted.")
    for line in refused[:10]:
        messages.error(request, line)
    return redirect("fleet_dispatch")
