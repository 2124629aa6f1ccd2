"""What the shopper's tracking page shows of an own driver: how many stops before theirs,
about how many minutes, and the promised window narrowing as the driver gets closer. The
driver's position on the map is the page's live courier (tracking.nearby.live_courier), which
the position service gives only to the next few stops' shipments."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from fulfillment.models import Route, RouteStop, Shipment

# Half the narrowed window: five minutes, plus three for each stop before this one.
BASE_MARGIN = dt.timedelta(minutes=5)
PER_STOP_MARGIN = dt.timedelta(minutes=3)


@dataclass(frozen=True)
class OwnDriverDelivery:
    stops_away: int  # pending stops before this one
    minutes: int | None
    window_from: dt.datetime | None
    window_until: dt.datetime | None
    driver_first_name: str
    state: str
    next_step: str  # a failed stop: what happens next (RouteStop.NextStep label)
    photo: bool = False  # a delivery photo the shopper may see (delivery_photo)

    @property
    def next(self) -> bool:
        return self.stops_away == 0


def narrowed_window(
    stop: RouteStop, *, stops_away: int
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The ETA ± a margin that shrinks with each stop done, inside the promised window."""
    if stop.eta is None:
        return stop.window_from, stop.window_until
    margin = BASE_MARGIN + PER_STOP_MARGIN * stops_away
    start, end = stop.eta - margin, stop.eta + margin
    if stop.window_from and stop.window_until and stop.window_from <= stop.eta <= stop.window_until:
        start, end = max(start, stop.window_from), min(end, stop.window_until)
    return start, end


def _latest_stop(shipment: Shipment) -> RouteStop | None:
    return (
        RouteStop.objects.filter(merchant_id=shipment.merchant_id, shipment_id=shipment.pk)
        .select_related("route__driver", "route__vehicle")
        .order_by("-plan__date", "-pk")
        .first()
    )


def delivered_stop(shipment: Shipment) -> RouteStop | None:
    """The own driver's stop that delivered this shipment (for its photo), or None."""
    stop = _latest_stop(shipment)
    done = (RouteStop.State.DELIVERED, RouteStop.State.SAFE_PLACE)
    return stop if stop is not None and stop.state in done else None


def own_driver_delivery(
    shipment: Shipment, *, now: dt.datetime | None = None
) -> OwnDriverDelivery | None:
    """The shipment's stop on an own driver's route: on the road now, or done; else None."""
    stop = _latest_stop(shipment)
    if stop is None:
        return None
    pending = stop.state == RouteStop.State.PENDING
    if pending and stop.route.state != Route.State.STARTED:
        return None
    now = now or timezone.now()
    before = 0
    if pending:
        before = RouteStop.objects.filter(
            route_id=stop.route_id, state=RouteStop.State.PENDING, sequence__lt=stop.sequence
        ).count()
    start, end = narrowed_window(stop, stops_away=before) if pending else (None, None)
    minutes = None
    if pending and stop.eta is not None:
        minutes = max(1, math.ceil((stop.eta - now).total_seconds() / 60))
    return OwnDriverDelivery(
        stops_away=before,
        minutes=minutes,
        window_from=start,
        window_until=end,
        driver_first_name=stop.route.driver.first_name,
        state=stop.state,
        next_step=stop.get_next_step_display() if stop.next_step else "",
        photo=bool(stop.photo) and stop.state != RouteStop.State.FAILED,
    )


def message_extras(shipment: Shipment) -> dict[str, object]:
    """What the shopper's messages add for an own driver: the driver's first name and vehicle
    ("Look out for Sam (Cargo bike)") when out for delivery; after a failed stop whose next
    step is decided, that step instead of the offer to choose a locker; once delivered, the
    link to the delivery photo."""
    stop = _latest_stop(shipment)
    if stop is None:
        return {}
    extras: dict[str, object] = {
        "courier_name": stop.route.driver.first_name,
        "vehicle": stop.route.vehicle.get_kind_display(),
    }
    if stop.state == RouteStop.State.FAILED and stop.next_step:
        extras["offer_redirect"] = False
        extras["vehicle"] = ""  # nobody to look out for now
        extras["next_step"] = stop.next_step
    if stop.state in (RouteStop.State.DELIVERED, RouteStop.State.SAFE_PLACE):
        extras["vehicle"] = ""
        if stop.photo:
            extras["photo_url"] = settings.NEARBOX_BASE_URL + reverse(
                "tracking_delivery_photo", args=[shipment.public_token]
            )
    return extras
