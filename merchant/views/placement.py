from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from merchant.decorators import merchant_required
from merchant.form_errors import add_service_errors
from merchant.forms.placement import PlanRequestForm
from merchant.models import PlacementPlan
from merchant.selectors.placement import get_plan_for_merchant
from merchant.services import placement


@merchant_required
@require_http_methods(["GET", "POST"])
def plan_list(request: HttpRequest) -> HttpResponse:
    form = PlanRequestForm(request.POST or None, merchant=request.merchant)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        params = placement.PlanParams(
            mode=data["mode"],
            k=data["k"],
            candidate_ids=tuple(p.pk for p in data["candidates"]),
            history_days=data["history_days"],
            cover_days=data["cover_days"],
        )
        try:
            plan = placement.request_plan(
                merchant=request.merchant, params=params, user=request.user
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("placement_plan", plan_id=plan.pk)
    page = Paginator(PlacementPlan.objects.for_merchant(request.merchant), 20).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "merchant/placement/list.html",
        {"form": form, "page_obj": page, "nav_active": "placement"},
    )


@merchant_required
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = get_plan_for_merchant(request.merchant, plan_id)
    template = "merchant/placement/_plan.html" if request.htmx else "merchant/placement/detail.html"
    context = {
        "plan": plan,
        "nav_active": "placement",
        "rows": _comparison(plan),
        "map_tiles_url": settings.NEARBOX_MAP_TILES_URL,
        "map_tiles_attribution": settings.NEARBOX_MAP_TILES_ATTRIBUTION,
    }
    response = render(request, template, context)
    if request.htmx and plan.status != PlacementPlan.Status.PENDING:
        response["HX-Refresh"] = "true"  # computed: reload once to draw the map
    return response


@merchant_required
@require_POST
def plan_accept(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = get_plan_for_merchant(request.merchant, plan_id)
    try:
        made = placement.accept_plan(plan=plan, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"Plan accepted: {len(made)} transfer(s) created to carry it out."
        )
    return redirect("placement_plan", plan_id=plan.pk)


@merchant_required
@require_POST
def plan_discard(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = get_plan_for_merchant(request.merchant, plan_id)
    try:
        placement.discard_plan(plan=plan)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Plan discarded.")
    return redirect("placement")


def _comparison(plan: PlacementPlan) -> list[dict]:
    today, planned = plan.metrics_today or {}, plan.metrics_plan or {}
    rows = [
        ("Points used", len(today.get("points", [])), len(planned.get("points", [])), ""),
        ("Mean distance to customers", today.get("mean_km"), planned.get("mean_km"), "km"),
        ("90th percentile distance", today.get("p90_km"), planned.get("p90_km"), "km"),
        (
            "Orders within same-day reach",
            today.get("same_day_share"),
            planned.get("same_day_share"),
            "share",
        ),
        (
            "Last-mile cost per order",
            today.get("cost_per_order_cents"),
            planned.get("cost_per_order_cents"),
            "cents",
        ),
        (
            "Monthly storage cost",
            today.get("monthly_storage_cents"),
            planned.get("monthly_storage_cents"),
            "cents",
        ),
    ]
    return [{"label": label, "today": t, "plan": p, "unit": unit} for label, t, p, unit in rows]
