"""What a driver does on the road, one service each: start the route, load a parcel (scanned or
typed), send a position, and record a stop's outcome. Each takes the signed-in driver and
refuses, with a sentence (ValidationError naming the field), anything that is not theirs or not
possible now; a route or stop of another driver never gets here (get_route_for_driver → 404).

Shipment events go through the booking service's `record_driver_status`, the path every courier
event takes: the shopper's messages (out for delivery, delivered, failed), the order's status,
webhooks and shop platforms follow."""

from __future__ import annotations

import datetime as dt
import logging
import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from fulfillment.fleet.live import eta as live_eta
from fulfillment.models import Driver, Notification, Route, RouteStop, Shipment
from fulfillment.models.shipments import EtaSource
from fulfillment.orders.services.status import back_to_hub
from fulfillment.shipments.services.booking import (
    _photo_proof,
    _signature_proof,
    record_driver_status,
)
from fulfillment.tracking import hooks, nearby, positions
from fulfillment.tracking.positions import Position

logger = logging.getLogger(__name__)

# RouteStop.FailureReason -> the booking service's reason codes (its shopper-facing words).
SHIPMENT_REASONS = {
    RouteStop.FailureReason.NOT_HOME: "not_home",
    RouteStop.FailureReason.NO_ACCESS: "no_access",
    RouteStop.FailureReason.REFUSED: "refused",
    RouteStop.FailureReason.ADDRESS_WRONG: "address_not_found",
    RouteStop.FailureReason.DAMAGED: "damaged",
}
OUTCOMES = ("delivered", "safe_place", "failed")
# A phone clock may be a little ahead; a position from further in the future is refused.
CLOCK_SKEW = dt.timedelta(minutes=5)
# The phone never queues positions (an old one is no news): one older than this is refused.
MAX_POSITION_AGE = dt.timedelta(hours=1)


def nearby_stops() -> int:
    """The shopper sees the driver on the map, and gets the "nearby" message, from this many
    stops before theirs (NEARBOX_FLEET_NEARBY_STOPS, 3)."""
    return int(getattr(settings, "NEARBOX_FLEET_NEARBY_STOPS", 3))


def _own(driver: Driver, route: Route) -> None:
    if route.driver_id != driver.pk or route.merchant_id != driver.merchant_id:
        raise ValidationError({"route": "That route is not yours."})


def _locked_route(driver: Driver, route: Route) -> Route:
    _own(driver, route)
    return Route.objects.select_for_update().select_related("vehicle").get(pk=route.pk)


# --- start and load ------------------------------------------------------------------------


def load_parcel(
    *, driver: Driver, route: Route, code: str, at: dt.datetime | None = None
) -> RouteStop:
    """Tick a parcel as loaded by its label's tracking number or its order reference (scanned or
    typed); loading one twice changes nothing."""
    code = (code or "").strip()
    if not code or len(code) > 100 or "\x00" in code:
        raise ValidationError({"code": "Scan the parcel's label or type its number."})
    _own(driver, route)
    with transaction.atomic():
        stop = (
            RouteStop.objects.select_for_update(of=("self",))
            .filter(route=route)
            .filter(Q(shipment__tracking_number__iexact=code) | Q(order__reference__iexact=code))
            .first()
        )
        if stop is None:
            raise ValidationError({"code": f"Parcel {code} is not on this route."})
        if stop.loaded_at is None:
            stop.loaded_at = at or timezone.now()
            stop.save(update_fields=["loaded_at"])
    return stop


def start_route(*, driver: Driver, route: Route, at: dt.datetime | None = None) -> Route:
    """Leave the hub: every parcel must be loaded. Each shipment goes out for delivery with the
    stop's window as its ETA (the shopper's "out for delivery" message says it)."""
    at = at or timezone.now()
    with transaction.atomic():
        locked = _locked_route(driver, route)
        if locked.state == Route.State.STARTED:
            return locked
        if locked.state == Route.State.FINISHED:
            raise ValidationError({"route": "This route is finished."})
        stops = list(locked.stops.select_related("shipment__account").order_by("sequence"))
        missing = [s for s in stops if s.loaded_at is None and s.state == RouteStop.State.PENDING]
        if missing:
            raise ValidationError(
                {"route": f"{len(missing)} parcel{'s' if len(missing) > 1 else ''} not loaded "
                 "yet: scan or type each label first."}
            )  # fmt: skip
        locked.state, locked.started_at = Route.State.STARTED, at
        locked.save(update_fields=["state", "started_at", "updated_at"])
        for stop in stops:
            if stop.state == RouteStop.State.PENDING and stop.shipment is not None:
                _out_for_delivery(stop, at)
    return locked


def _out_for_delivery(stop: RouteStop, at: dt.datetime) -> None:
    shipment = stop.shipment
    if shipment is None or shipment.tracking_status.is_terminal:
        return
    window = (stop.window_from, stop.window_until)
    if all(window):
        # The courier's (our own) estimate: tracking's ETA model leaves it alone.
        Shipment.objects.filter(pk=shipment.pk).update(
            eta_from=window[0], eta_until=window[1], eta_source=EtaSource.COURIER,
            eta_confidence=None,
        )  # fmt: skip
    record_driver_status(
        account=shipment.account, shipment_id=shipment.pk, action="out_for_delivery", now=at
    )


# --- positions -----------------------------------------------------------------------------


def record_position(
    *,
    driver: Driver,
    route: Route,
    latitude: float,
    longitude: float,
    recorded_at: dt.datetime,
) -> list[RouteStop] | None:
    """Store the driver's newest position on the route and recompute the remaining stops' ETAs
    from it; the shipments of the next few stops get the position too (their tracking page
    shows the driver, and the first one near sends the "nearby" message once). Returns the
    pending stops with their new ETAs, or None for a position older than the stored one."""
    _own(driver, route)
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValidationError({"latitude": "That is not a place on Earth."})
    now = timezone.now()
    if recorded_at.tzinfo is None:
        raise ValidationError({"recorded_at": "Give the time with its offset."})
    if recorded_at > now + CLOCK_SKEW:
        raise ValidationError({"recorded_at": "That position is from the future."})
    if recorded_at < now - MAX_POSITION_AGE:  # also year 1 at +14:00, which no clock can convert
        raise ValidationError({"recorded_at": "That position is too old to send."})
    if route.state != Route.State.STARTED:
        raise ValidationError({"route": "Start the route first: positions are sent only then."})
    with transaction.atomic():  # the position and its ETAs are seen together
        moved = (
            Route.objects.filter(pk=route.pk, state=Route.State.STARTED)
            .filter(Q(position_at__isnull=True) | Q(position_at__lt=recorded_at))
            .update(latitude=latitude, longitude=longitude, position_at=recorded_at)
        )
        if not moved:  # an older position arriving late: the ETAs already are newer
            return None
        stops = live_eta.recompute_etas(
            route, vehicle_kind=route.vehicle.kind, latitude=latitude, longitude=longitude,
            at=recorded_at,
        )  # fmt: skip
        _share_position(route, driver, stops[: nearby_stops()], latitude, longitude, recorded_at)
    return stops


def _share_position(
    route: Route,
    driver: Driver,
    stops: list[RouteStop],
    latitude: float,
    longitude: float,
    recorded_at: dt.datetime,
) -> None:
    """The next stops' shipments get the driver's position (their tracking page's live courier)
    in one upsert; each one's "nearby" message is queued the first time (one query to see which
    still need it: a position arrives every 20 s from every driver)."""
    shipment_ids = [s.shipment_id for s in stops if s.shipment_id is not None]
    if not shipment_ids:
        return
    first_name, vehicle = driver.first_name, route.vehicle.get_kind_display()
    params: list[object] = []
    for stop in stops:
        if stop.shipment_id is None:
            continue
        position = Position(
            latitude=latitude, longitude=longitude, recorded_at=recorded_at,
            courier_name=first_name, vehicle=vehicle, eta_at=stop.eta, arriving=True,
        )  # fmt: skip
        params.extend(
            positions.row_values(
                merchant_id=route.merchant_id, shipment_id=stop.shipment_id, position=position
            )
        )
    rows = ", ".join([f"({positions.ROW_PLACEHOLDERS})"] * len(shipment_ids))
    with connection.cursor() as cursor:
        cursor.execute(positions.upsert_sql(f"VALUES {rows}"), params)
        stored = {row[0] for row in cursor.fetchall()}
    if not stored:
        return
    told = set(
        Notification.objects.filter(
            shipment_id__in=stored, kind=Notification.Kind.NEARBY
        ).values_list("shipment_id", flat=True)
    )
    for shipment in Shipment.objects.select_related("order").filter(pk__in=stored - told):
        nearby.queue_nearby(shipment)


# --- stop outcomes -------------------------------------------------------------------------


# "To a locker" after a failed stop redirects the order to the nearest locker that fits, through
# the pickup network's redirect (fulfillment/tracking/hooks.py REDIRECT_PROVIDERS, #20). When
# none fits, the stop falls back to the next wave and says why.
NO_LOCKER_REDIRECT = "No locker could take it ({reason}): it goes out with the next wave."


def _to_nearest_locker(stop: RouteStop) -> None:
    """Redirect the stop's parcel to the nearest locker that fits (inside the outcome's
    transaction, in a savepoint); when none can, the stop's next step becomes the next wave
    and `stop.fallback_reason` says why (the driver's answer shows it)."""
    redirector = hooks.redirector()
    reason = "no pickup network" if redirector is None else ""
    if stop.shipment is None:
        reason = "no shipment to redirect"
    if not reason:
        try:
            with transaction.atomic():
                redirector.redirect_to_nearest_locker(shipment=stop.shipment, requested_by="driver")
        except ValidationError as error:
            reason = " ".join(error.messages).rstrip(".")
    if reason:
        stop.next_step = RouteStop.NextStep.NEXT_WAVE
        stop.save(update_fields=["next_step"])
        stop.fallback_reason = NO_LOCKER_REDIRECT.format(reason=reason)


def record_stop_outcome(
    *,
    driver: Driver,
    stop: RouteStop,
    outcome: str,
    reason: str = "",
    next_step: str = "",
    recipient_name: str = "",
    photo: UploadedFile | None = None,
    signature: str = "",
    at: dt.datetime | None = None,
) -> RouteStop:
    """Delivered (a photo or a signature, and the name of who took it), left in a safe place (a
    photo), or failed (a reason and what happens next: the next wave, a locker, back to the
    hub). The shipment gets the matching event with its proof; when no stop is left pending the
    route is finished."""
    at = at or timezone.now()
    if outcome not in OUTCOMES:
        raise ValidationError({"outcome": "Choose delivered, safe place or failed."})
    recipient_name = (recipient_name or "").strip().replace("\x00", "")[:120]
    if outcome == "delivered" and not (photo or signature):
        raise ValidationError({"photo": "Take a photo of the parcel or get a signature."})
    if outcome == "safe_place" and not photo:
        raise ValidationError({"photo": "Take a photo of where you left the parcel."})
    if outcome == "failed":
        if reason not in RouteStop.FailureReason.values:
            raise ValidationError({"reason": "Choose why the delivery failed."})
        if next_step not in RouteStop.NextStep.values:
            raise ValidationError({"next_step": "Choose what happens to the parcel next."})
    # Checked before anything is locked or written, whatever the shipment (none, or already
    # terminal): a photo is a real JPEG/PNG of at most 8 MB, a signature a PNG data URL.
    photo_file = _photo_proof(photo) if photo and outcome != "failed" else None
    signature_file = _signature_proof(signature) if signature else None
    with transaction.atomic():
        route = _locked_route(driver, stop.route)
        locked = (
            RouteStop.objects.select_for_update(of=("self",))
            .select_related("shipment__account")
            .get(pk=stop.pk, route=route)
        )
        if route.state != Route.State.STARTED:
            raise ValidationError({"route": "Start the route first."})
        if locked.state != RouteStop.State.PENDING:
            raise ValidationError(
                {"stop": f"This stop is already {locked.get_state_display().lower()}."}
            )
        shipment = locked.shipment
        if shipment is not None and not shipment.tracking_status.is_terminal:
            record_driver_status(
                account=shipment.account,
                shipment_id=shipment.pk,
                action="failed" if outcome == "failed" else "delivered",
                photo=photo_file,
                signature=signature if outcome == "delivered" and not photo else "",
                reason=SHIPMENT_REASONS.get(reason, "") if outcome == "failed" else "",
                now=at,
            )
        locked.state = {
            "delivered": RouteStop.State.DELIVERED,
            "safe_place": RouteStop.State.SAFE_PLACE,
            "failed": RouteStop.State.FAILED,
        }[outcome]
        locked.done_at = at
        locked.recipient_name = recipient_name if outcome == "delivered" else ""
        if outcome == "failed":
            locked.failure_reason, locked.next_step = reason, next_step
        if photo_file is not None:
            # Named by the format found in it (never the phone's file name): the shopper's
            # delivery_photo serves it with the matching image type.
            suffix = os.path.splitext(photo_file.name)[1]
            locked.photo.save(f"stop-{locked.pk}-photo{suffix}", photo_file, save=False)
        if signature_file is not None and outcome == "delivered":
            locked.signature.save(f"stop-{locked.pk}-signature.png", signature_file, save=False)
        locked.save()
        if outcome == "failed" and next_step == RouteStop.NextStep.LOCKER:
            _to_nearest_locker(locked)
        if outcome == "failed" and next_step == RouteStop.NextStep.BACK_TO_HUB:
            why = dict(RouteStop.FailureReason.choices).get(reason, reason).lower()
            back_to_hub(
                order_id=locked.order_id,
                note=f"Back at {route.hub.name} after a failed delivery ({why}): ready again",
            )
        if not RouteStop.objects.filter(route=route, state=RouteStop.State.PENDING).exists():
            route.state, route.finished_at = Route.State.FINISHED, at
            route.save(update_fields=["state", "finished_at", "updated_at"])
    return locked
