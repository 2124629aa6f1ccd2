"""Plan pages (#16 item 3): the plans of the days and "Plan wave"; a plan's page with its map,
routes (stops, km, hours, cost), address flags, the orders that did not fit ("Send to a
courier"), moving a stop (htmx: the routes fragment comes back re-timed, or the refusal), and
"Dispatch"."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HTMX_STOP_POLLING

from fulfillment.fleet.plans.forms import MoveStopForm, PlanWaveForm
from fulfillment.fleet.plans.selectors import get_plan_for_merchant, map_data, plan_routes
from fulfillment.fleet.plans.services import editing, planning
from fulfillment.models import RoutePlan
from fulfillment.orders.selectors.orders import get_order_for_merchant
from merchant.decorators import merchant_required

NAV = "fleet"


def _problems(error: ValidationError) -> str:
    return " ".join(error.messages)


@merchant_required
@require_http_methods(["GET", "POST"])
def plan_list(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant
    today = planning.today_for(merchant)
    form = PlanWaveForm(request.POST or None, merchant=merchant, today=today)
    if request.method == "POST" and form.is_valid():
        try:
            plan = planning.start_plan(
                merchant=merchant,
                date=form.cleaned_data["date"],
                wave=form.cleaned_data["wave"],
                hubs=list(form.cleaned_data["hubs"]),
                user=request.user,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("fleet_plan", route_plan_id=plan.pk)
    plans = RoutePlan.objects.for_merchant(merchant).prefetch_related("hubs")[:50]
    waves = planning.waves_for_hubs(merchant, [h.pk for h in form.fields["hubs"].queryset])
    return render(
        request,
        "fulfillment/fleet/plans/list.html",
        {"form": form, "plans": plans, "waves": waves, "nav_active": NAV, "tab": "plans"},
        status=422 if request.method == "POST" else 200,
    )


def _detail_context(plan: RoutePlan) -> dict:
    routes = plan_routes(plan)
    flagged = [s for r in routes for s in r.stops.all() if s.address_flags]
    return {
        "plan": plan,
        "routes": routes,
        "flagged": flagged,
        "map_data": map_data(routes),
        "editable": plan.state in editing.EDITABLE_PLAN_STATES,
        "nav_active": NAV,
        "tab": "plans",
    }


@merchant_required
@require_GET
def plan_detail(request: HttpRequest, route_plan_id: int) -> HttpResponse:
    """The plan page; while planning, htmx polls its status (286 once it is done)."""
    plan = get_plan_for_merchant(request.merchant, route_plan_id)
    if request.htmx and request.GET.get("status"):
        response = render(
            request, "fulfillment/fleet/plans/_status.html", {"plan": plan, "job": plan.job}
        )
        if plan.state != RoutePlan.State.PLANNING:
            response.status_code = HTMX_STOP_POLLING
            response["HX-Refresh"] = "true"
        return response
    return render(request, "fulfillment/fleet/plans/detail.html", _detail_context(plan))


@merchant_required
@require_POST
def plan_move_stop(request: HttpRequest, route_plan_id: int) -> HttpResponse:
    plan = get_plan_for_merchant(request.merchant, route_plan_id)
    form = MoveStopForm(request.POST, plan=plan)
    error = ""
    if not form.is_valid():
        error = " ".join(m for errors in form.errors.values() for m in errors)
    else:
        try:
            editing.move_stop(
                stop=form.cleaned_data["stop"],
                route=form.cleaned_data["route"],
                position=form.cleaned_data["position"],
            )
        except ValidationError as refused:
            error = "Not moved: " + _problems(refused)
    plan.refresh_from_db()
    if request.htmx:
        context = _detail_context(plan)
        context["move_error"] = error
        context["move_ok"] = "" if error else "Moved: both routes were re-checked and re-timed."
        # 200 either way: htmx swaps only successful responses, and the refusal is the content.
        return render(request, "fulfillment/fleet/plans/_routes.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "Moved: both routes were re-checked and re-timed.")
    return redirect("fleet_plan", route_plan_id=plan.pk)


@merchant_required
@require_POST
def plan_dispatch(request: HttpRequest, route_plan_id: int) -> HttpResponse:
    plan = get_plan_for_merchant(request.merchant, route_plan_id)
    try:
        editing.dispatch_plan(plan=plan)
    except ValidationError as error:
        messages.error(request, _problems(error))
    else:
        messages.success(request, "Dispatched: each driver's phone shows their route.")
    return redirect("fleet_plan", route_plan_id=plan.pk)


@merchant_required
@require_POST
def plan_discard(request: HttpRequest, route_plan_id: int) -> HttpResponse:
    plan = get_plan_for_merchant(request.merchant, route_plan_id)
    try:
        editing.discard_plan(plan=plan)
    except ValidationError as error:
        messages.error(request, _problems(error))
        return redirect("fleet_plan", route_plan_id=plan.pk)
    messages.success(request, "Plan discarded: its orders can be planned again.")
    return redirect("fleet_plans")


@merchant_required
@require_POST
def plan_send_to_courier(request: HttpRequest, route_plan_id: int, order_id: int) -> HttpResponse:
    plan = get_plan_for_merchant(request.merchant, route_plan_id)
    order = get_order_for_merchant(request.merchant, order_id)
    try:
        shipment = editing.send_to_courier(plan=plan, order=order, user=request.user)
    except ValidationError as error:
        messages.error(request, f"Order {order.reference or order.pk}: {_problems(error)}")
    else:
        messages.success(
            request,
            f"Order {order.reference or order.pk} goes with {shipment.service.name} "
            f"({shipment.account.name}).",
        )
    return redirect("fleet_plan", route_plan_id=plan.pk)
