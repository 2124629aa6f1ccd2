"""What a driver may reach: only their own routes (and so their stops)."""

from __future__ import annotations

from django.http import Http404

from fulfillment.models import Driver, Route, RoutePlan, RouteStop

# A plan's routes reach the phones once it is dispatched (plans.services.editing.dispatch_plan):
# a ready plan may still be edited or discarded (deleting its routes and stops).
DRIVER_PLAN_STATES = (RoutePlan.State.DISPATCHED, RoutePlan.State.DONE)


def routes_for_driver(driver: Driver):
    return Route.objects.filter(
        merchant_id=driver.merchant_id, driver=driver, plan__state__in=DRIVER_PLAN_STATES
    )


def get_route_for_driver(driver: Driver, route_id: object) -> Route:
    """The driver's route; Http404 for another driver's or merchant's id, or garbage."""
    try:
        return routes_for_driver(driver).select_related("plan", "vehicle", "hub").get(pk=route_id)
    except (Route.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No route with id {route_id}.") from None


def get_stop_for_driver(driver: Driver, stop_id: object) -> RouteStop:
    """A stop on one of the driver's routes; Http404 otherwise."""
    try:
        return (
            RouteStop.objects.filter(
                merchant_id=driver.merchant_id,
                route__driver=driver,
                plan__state__in=DRIVER_PLAN_STATES,
            )
            .select_related("route", "order")
            .get(pk=stop_id)
        )
    except (RouteStop.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No stop with id {stop_id}.") from None
