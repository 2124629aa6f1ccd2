"""The shopper's tracking page at /t/<token>/: no login, an unguessable token, the merchant's
branding; the status part refreshes through htmx and the server ends the polling with 286
once the parcel reached a final state. While a live courier carries the parcel, the status
part carries its position (data attributes read by static/js/tracking-map.js, which moves the
marker on a map kept across refreshes) and refreshes more often."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from fulfillment.fleet.live.shopper import own_driver_delivery
from fulfillment.messaging.services.brand import brand_context
from fulfillment.models import Order, ParcelRedirect
from fulfillment.orders.services import status as order_status
from fulfillment.tracking import hooks, nearby, reschedule, shopper_actions
from fulfillment.tracking.selectors import get_shipment_by_token, timeline

STOP_POLLING = 286  # htmx: swap this answer, then stop polling


def _context(shipment) -> dict:
    merchant = shipment.merchant
    timezone.activate(zoneinfo.ZoneInfo(merchant.time_zone or "UTC"))
    point = hooks.pickup_point(shipment)
    order = shipment.order
    # A pickup order's parcel "delivered" by the courier is waiting at the place: the page
    # says so, and keeps refreshing until the shopper has collected it.
    waiting_at_pickup = order_status.is_pickup(order) and order.status == Order.Status.AT_PICKUP
    collected = order_status.is_pickup(order) and order.status == Order.Status.DELIVERED
    # Only this shipment's courier, only while its position is fresh (nearby.live_courier).
    live = nearby.live_courier(shipment)
    # Leaflet is loaded when a live courier may appear: an on-demand job or a fresh position.
    live_map = live is not None or bool(shipment.courier_reference)
    return {
        "shipment": shipment,
        "merchant": merchant,
        "brand": brand_context(merchant),
        "events": list(timeline(shipment)[:50]),
        "waiting_at_pickup": waiting_at_pickup,
        "collected": collected,
        "final": not waiting_at_pickup
        and (shipment.tracking_status.is_terminal or shipment.cancelled_at is not None),
        "pickup_point": point,
        # Sent to a locker or shop after the fact (#20): the status line says so.
        "redirect": ParcelRedirect.objects.filter(shipment=shipment).first(),
        "pickup_map": point is not None and point.latitude is not None,
        "live": live,
        "live_map": live_map,
        # An own driver's route (#16): "3 stops away, about 12 minutes", the window narrowing.
        "own_driver": own_driver_delivery(shipment),
        "refresh_seconds": settings.NEARBOX_TRACKING_LIVE_REFRESH_SECONDS
        if live_map
        else settings.NEARBOX_TRACKING_REFRESH_SECONDS,
        "map_tiles_url": settings.NEARBOX_MAP_TILES_URL,
        "map_tiles_attribution": settings.NEARBOX_MAP_TILES_ATTRIBUTION,
    }


# Changes a shopper may ask for per parcel and hour (a redirect or a day each; the rest are
# mistakes or someone poking at the page).
CHANGE_LIMIT, CHANGE_WINDOW = 10, 3600


@require_GET
def tracking_page(request: HttpRequest, token: str) -> HttpResponse:
    return _page(request, get_shipment_by_token(token))


def _page(request: HttpRequest, shipment, *, error: str = "", status: int = 200) -> HttpResponse:
    context = _context(shipment)
    # "Not home? Send it to a locker" and another day, within the merchant's rules (#20).
    context["change"] = shopper_actions.offer(shipment)
    context["change_error"] = error
    context["changed"] = request.GET.get("changed", "") in ("redirect", "reschedule")
    response = render(request, "fulfillment/tracking/public.html", context, status=status)
    # The token is the key: never sent to another site. "same-origin", not "no-referrer": with
    # no-referrer the browser posts the page's own forms with `Origin: null`, which CSRF refuses.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_POST
def shopper_change(request: HttpRequest, token: str) -> HttpResponse:
    """The shopper sends the parcel to a locker or shop, or picks another day (CSRF-protected
    form on the page; rate-limited per parcel). Refusals show on the page with a 4xx."""
    from merchant import ratelimit

    shipment = get_shipment_by_token(token)
    hit = ratelimit.hit(
        f"tracking-change:{shipment.pk}", limit=CHANGE_LIMIT, window_seconds=CHANGE_WINDOW
    )
    if hit.count > CHANGE_LIMIT:
        response = _page(
            request, shipment, error="Too many changes asked; try again later.", status=429
        )
        response["Retry-After"] = str(hit.retry_after)
        return response
    action = request.POST.get("action", "")
    try:
        if action == "redirect":
            shopper_actions.shopper_redirect(
                shipment=shipment, place_ref=request.POST.get("place", "")[:64]
            )
        elif action == "reschedule":
            day = reschedule.parse_day(request.POST.get("day", ""))
            if day is None:
                raise ValidationError({"day": "Pick one of the days offered."})
            shopper_actions.shopper_reschedule(shipment=shipment, day=day)
        else:
            raise ValidationError({"action": "Choose a place or a day."})
    except ValidationError as error:
        codes = {e.code for errors in getattr(error, "error_dict", {}).values() for e in errors}
        refused = {"not_redirectable", "not_reschedulable", "already_redirected"}
        status = 403 if "not_allowed" in codes else 409 if codes & refused else 400
        return _page(request, shipment, error=" ".join(error.messages), status=status)
    return redirect(f"{reverse('tracking_page', args=[token])}?changed={action}")


@require_GET
def tracking_status(request: HttpRequest, token: str) -> HttpResponse:
    shipment = get_shipment_by_token(token)
    context = _context(shipment)
    status = STOP_POLLING if context["final"] else 200
    response = render(request, "fulfillment/tracking/_public_status.html", context, status=status)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
