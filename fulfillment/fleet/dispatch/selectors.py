"""The dispatcher board's data: today's dispatched routes of the merchant with their progress,
the stops at risk of missing their window (ETA after the window closes) and the drivers' last
positions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch

from fulfillment.fleet.plans.selectors import map_data
from fulfillment.models import Route, RoutePlan, RouteStop
from merchant.models import Merchant


@dataclass
class RouteProgress:
    route: Route
    done: int
    total: int
    at_risk: list[RouteStop]

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100


def at_risk(stop: RouteStop) -> bool:
    return (
        stop.state == RouteStop.State.PENDING
        and stop.eta is not None
        and stop.window_until is not None
        and stop.eta > stop.window_until
    )


def board_routes(merchant: Merchant, date: dt.date) -> list[Route]:
    stops = RouteStop.objects.select_related("order").order_by("sequence", "pk")
    return list(
        Route.objects.for_merchant(merchant)
        .filter(plan__date=date, plan__state=RoutePlan.State.DISPATCHED)
        .select_related("driver", "vehicle", "hub", "plan")
        .prefetch_related(Prefetch("stops", queryset=stops))
        .order_by("plan__wave", "pk")
    )


def board(merchant: Merchant, date: dt.date) -> dict:
    routes = board_routes(merchant, date)
    progress = []
    for route in routes:
        stops = list(route.stops.all())
        done = sum(1 for s in stops if s.state != RouteStop.State.PENDING)
        progress.append(RouteProgress(route, done, len(stops), [s for s in stops if at_risk(s)]))
    return {
        "routes": routes,
        "progress": progress,
        "risky": sum(len(p.at_risk) for p in progress),
        "map_data": map_data(routes, with_positions=True),
    }
