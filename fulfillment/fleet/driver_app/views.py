"""Driver app pages and endpoints. Every view needs the signed-in driver (`driver_required`) and
reaches routes and stops only through fulfillment.fleet.auth.selectors (another driver's or
merchant's id: 404). Pages are server-rendered and work without JavaScript (forms post to the
actions endpoint, which redirects back); static/js/driver-app.js adds the offline queue, the
scanner, the signature pad and the positions."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from fulfillment.fleet.auth.selectors import (
    get_route_for_driver,
    get_stop_for_driver,
    routes_for_driver,
)
from fulfillment.fleet.auth.session import driver_required
from fulfillment.fleet.driver_app import navigation
from fulfillment.fleet.live import actions, services
from fulfillment.models import Route, RouteStop

POSITION_SECONDS = 20  # the phone sends a position at most this often (15-30 s)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _problem(status: int, detail: str, field: str = "", code: str = "invalid") -> JsonResponse:
    body = {"code": code, "detail": detail}
    if field:
        body["field"] = field
    return JsonResponse(body, status=status, content_type="application/problem+json")


def _errors(error: ValidationError) -> tuple[str, str]:
    if hasattr(error, "error_dict"):
        field, errors = next(iter(error.error_dict.items()))
        return field, " ".join(e.message for e in errors if isinstance(e.message, str))
    return "", " ".join(error.messages)


@never_cache
@require_GET
@driver_required
def home(request: HttpRequest) -> HttpResponse:
    """Today's route (the newest one not finished), or the list when there are several."""
    today = timezone.localdate()
    routes = list(
        routes_for_driver(request.driver)
        .filter(plan__date__gte=today - timedelta(days=1))
        .select_related("plan", "vehicle", "hub")
        .order_by("plan__date", "departs_at", "pk")
    )
    open_routes = [r for r in routes if r.state != Route.State.FINISHED]
    if len(open_routes) == 1:
        return redirect("driver_route", route_id=open_routes[0].pk)
    return render(
        request, "fulfillment/fleet/driver/home.html", {"driver": request.driver, "routes": routes}
    )


@never_cache
@require_GET
@driver_required
def route_page(request: HttpRequest, route_id: int) -> HttpResponse:
    route = get_route_for_driver(request.driver, route_id)
    stops = list(route.stops.select_related("order", "shipment").order_by("sequence", "pk"))
    pending = [s for s in stops if s.state == RouteStop.State.PENDING]
    return render(
        request,
        "fulfillment/fleet/driver/route.html",
        {
            "driver": request.driver,
            "route": route,
            "stops": stops,
            "next_stop": pending[0] if pending else None,
            "next_links": navigation.links(pending[0]) if pending else None,
            "loaded": sum(1 for s in stops if s.loaded_at),
            "to_load": [s for s in pending if s.loaded_at is None],
            "done": len(stops) - len(pending),
            "client_id": uuid.uuid4().hex,
            "position_seconds": POSITION_SECONDS,
        },
    )


@never_cache
@require_GET
@driver_required
def stop_page(request: HttpRequest, stop_id: int) -> HttpResponse:
    stop = get_stop_for_driver(request.driver, stop_id)
    return render(
        request,
        "fulfillment/fleet/driver/stop.html",
        {
            "driver": request.driver,
            "stop": stop,
            "route": stop.route,
            "links": navigation.links(stop),
            "reasons": RouteStop.FailureReason.choices,
            "next_steps": RouteStop.NextStep.choices,
            "client_ids": [uuid.uuid4().hex for _ in range(3)],
        },
    )


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ValidationError({"happened_at": "Give the time as ISO 8601 with its offset."})
    return parsed


@require_POST
@driver_required
def action(request: HttpRequest) -> HttpResponse:
    """One action of the phone (form fields: client_id, kind, route_id or stop_id, happened_at,
    code, reason, next_step, name, signature; file: photo). 200 with "applied": false for a
    copy already applied; 404 for a route or stop that is not the driver's; 422 otherwise."""
    data = request.POST
    payload = {
        k: data.get(k) for k in ("code", "reason", "next_step", "name", "signature") if k in data
    }
    back = data.get("back", "")
    try:
        result = actions.apply_action(
            driver=request.driver,
            client_id=data.get("client_id", ""),
            kind=data.get("kind", ""),
            happened_at=_when(data.get("happened_at")),
            route_id=data.get("route_id"),
            stop_id=data.get("stop_id"),
            payload=payload,
            photo=request.FILES.get("photo"),
        )
    except Http404:
        if _wants_json(request):
            return _problem(404, "That route or stop is not on your list.", code="not_found")
        raise
    except ValidationError as error:
        field, detail = _errors(error)
        if _wants_json(request):
            return _problem(422, detail, field)
        messages.error(request, detail)
        return redirect(_safe_back(back))
    stop = result.action.stop
    if stop is not None:
        stop.refresh_from_db(fields=["state", "next_step"])
    # "To a locker" falls back to the next wave when no locker near the shopper fits the parcel.
    no_locker = (
        stop is not None
        and payload.get("next_step") == RouteStop.NextStep.LOCKER
        and stop.next_step != RouteStop.NextStep.LOCKER
    )
    if _wants_json(request):
        return JsonResponse(
            {
                "client_id": result.action.client_id,
                "applied": result.applied,
                "kind": result.action.kind,
                "stop_state": stop.state if stop else None,
                "next_step": stop.next_step if stop else None,
            }
        )
    if no_locker:
        messages.warning(request, "No locker near the shopper fits this parcel: it goes next wave.")
    if result.action.kind in services.OUTCOMES and stop is not None:
        return redirect("driver_route", route_id=stop.route_id)
    return redirect(_safe_back(back))


def _safe_back(back: str) -> str:
    # Only one of the app's own pages (no open redirect).
    if back.startswith("/driver/") and "//" not in back and "\\" not in back:
        return back
    return "/driver/"


@require_POST
@driver_required
def position(request: HttpRequest) -> HttpResponse:
    """{"route_id", "latitude", "longitude", "recorded_at"}: the phone's position while the
    route is started. 204; 409 when the route is not started (the phone stops sending)."""
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return _problem(400, "Send the position as a JSON object.")
    if not isinstance(body, dict):
        return _problem(400, "Send the position as a JSON object.")
    route = get_route_for_driver(request.driver, body.get("route_id"))
    try:
        latitude, longitude = float(body.get("latitude")), float(body.get("longitude"))
    except (TypeError, ValueError):
        return _problem(422, "latitude and longitude are numbers.", "latitude")
    try:
        raw_at = body.get("recorded_at")
        if raw_at is not None and not isinstance(raw_at, str):
            raise ValidationError({"recorded_at": "Give the time as ISO 8601 with its offset."})
        recorded_at = _when(raw_at) or timezone.now()
        if route.state != Route.State.STARTED:
            return _problem(
                409, "The route is not started: no positions now.", "route", "not_started"
            )
        services.record_position(
            driver=request.driver, route=route, latitude=latitude, longitude=longitude,
            recorded_at=recorded_at,
        )  # fmt: skip
    except ValidationError as error:
        field, detail = _errors(error)
        return _problem(422, detail, field)
    return HttpResponse(status=204)


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """static/driver/sw.js served under /driver/ so that it may control the app's pages."""
    path = finders.find("driver/sw.js")
    if not path:
        raise Http404("No service worker.")
    with open(path, encoding="utf-8") as handle:
        script = handle.read()
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/driver/"
    response["Cache-Control"] = "no-cache"
    return response
