"""Reading plans for the pages: one plan of the merchant (404 otherwise), its routes with their
stops, and the map's data."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch

from fulfillment.fleet.plans.services.problem import point_place
from fulfillment.models import Route, RoutePlan, RouteStop
from merchant.models import Merchant, get_for_merchant_or_404


def get_plan_for_merchant(merchant: Merchant, plan_id: object) -> RoutePlan:
    return get_for_merchant_or_404(RoutePlan, merchant, plan_id)


def get_stop_for_merchant(merchant: Merchant, stop_id: object) -> RouteStop:
    return get_for_merchant_or_404(RouteStop, merchant, stop_id)


def with_figures(route: Route) -> Route:
    """The route's km and hours as the pages show them (`km`, `hours`: "1:05")."""
    route.km = round(route.distance_m / 1000, 1)
    minutes = round(route.duration_s / 60)
    route.hours = f"{minutes // 60}:{minutes % 60:02d}"
    return route


def plan_routes(plan: RoutePlan) -> list[Route]:
    stops = RouteStop.objects.select_related("order").order_by("sequence", "pk")
    return [
        with_figures(route)
        for route in plan.routes.select_related("driver", "vehicle", "hub")
        .prefetch_related(Prefetch("stops", queryset=stops))
        .order_by("pk")
    ]


def tiles() -> dict:
    return {
        "url": getattr(settings, "NEARBOX_MAP_TILES_URL", ""),
        "attribution": getattr(settings, "NEARBOX_MAP_TILES_ATTRIBUTION", ""),
    }


def map_data(routes: list[Route], *, with_positions: bool = False) -> dict:
    """Hubs, each route's colour and stops in order (and the driver's last position)."""
    hubs = {}
    out = []
    for route in routes:
        hub = point_place(route.hub)
        if hub is not None:
            hubs[route.hub_id] = {"name": route.hub.name, "lat": hub.latitude, "lon": hub.longitude}
        entry = {
            "id": route.pk,
            "driver": route.driver.name,
            "colour": route.colour,
            "stops": [
                {
                    "id": s.pk,
                    "seq": s.sequence,
                    "lat": s.latitude,
                    "lon": s.longitude,
                    "label": s.order.reference or f"Order {s.order_id}",
                    "state": s.state,
                    "flagged": bool(s.address_flags),
                }
                for s in route.stops.all()
            ],
        }
        if with_positions and route.latitude is not None and route.longitude is not None:
            entry["position"] = {"lat": route.latitude, "lon": route.longitude}
        out.append(entry)
    return {"hubs": list(hubs.values()), "routes": out, "tiles": tiles()}
