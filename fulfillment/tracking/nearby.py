"""Whether a live courier is near the shopper, and the "nearby" notification (sent once).

A courier is near when it carries the parcel (the shipment is in transit or out for delivery:
before the pick-up, "near" would be near the shop) and it says it is arriving, or its ETA at
the drop-off is under NEARBOX_NEARBY_ETA_SECONDS, or it is within NEARBOX_NEARBY_DISTANCE_M
of the drop-off in a straight line. A position older than NEARBOX_LIVE_POSITION_MAX_AGE_SECONDS
is never live: it neither notifies nor shows on the tracking page.

A pickup order's shopper gets no such message (the courier is near the locker or shop; the
place tells the shopper itself when the parcel is ready), though its page shows the courier.

The message is one Notification row per shipment and kind: the unique constraint decides
which of two concurrent positions creates it, and only that one queues the send.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from fulfillment.couriers.adapters.types import TrackingStatus
from fulfillment.models import CourierPosition, Notification, NotificationSettings, Order, Shipment
from fulfillment.orders.services import status as order_status
from fulfillment.tracking import hooks
from fulfillment.tracking.notifications import QUEUED_OR_SENT, sent_kinds
from fulfillment.tracking.queue import queue_options

if TYPE_CHECKING:
    from fulfillment.tracking.positions import Position

NEARBY = Notification.Kind.NEARBY
# The courier has the parcel: only then is "near the drop-off" news for the shopper.
CARRYING = frozenset({TrackingStatus.IN_TRANSIT.value, TrackingStatus.OUT_FOR_DELIVERY.value})
EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class LiveCourier:
    """What the shopper's tracking page shows of the courier carrying the parcel."""

    latitude: float
    longitude: float
    recorded_at: dt.datetime
    first_name: str
    vehicle: str
    carrying: bool  # picked up: on the way to the shopper (else on the way to the shop)
    arriving: bool
    minutes_away: int | None
    dropoff: tuple[float, float] | None


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def is_fresh(recorded_at: dt.datetime, now: dt.datetime) -> bool:
    return now - recorded_at <= dt.timedelta(seconds=settings.NEARBOX_LIVE_POSITION_MAX_AGE_SECONDS)


def is_near(
    *,
    at: tuple[float, float],
    eta_at: dt.datetime | None,
    arriving: bool,
    dropoff: tuple[float, float] | None,
    now: dt.datetime,
) -> bool:
    if arriving:
        return True
    if eta_at is not None and eta_at - now <= dt.timedelta(
        seconds=settings.NEARBOX_NEARBY_ETA_SECONDS
    ):
        return True
    return dropoff is not None and distance_m(at, dropoff) <= settings.NEARBOX_NEARBY_DISTANCE_M


def dropoff_point(shipment: Shipment) -> tuple[float, float] | None:
    """Where the courier delivers: the pickup place of a locker or shop order, else the
    shopper's geocoded address (None when it has no coordinates)."""
    order = shipment.order
    if order.pickup_location_ref:
        place = hooks.pickup_point(shipment)
        if place is not None and place.latitude is not None and place.longitude is not None:
            return (place.latitude, place.longitude)
    if order.latitude is None or order.longitude is None:
        return None
    return (order.latitude, order.longitude)


def minutes_until(eta_at: dt.datetime | None, now: dt.datetime) -> int | None:
    """Whole minutes to the ETA, rounded up, at least 1; None without an ETA."""
    if eta_at is None:
        return None
    return max(1, math.ceil((eta_at - now).total_seconds() / 60))


def first_name(courier_name: str) -> str:
    return courier_name.split()[0] if courier_name.strip() else ""


def news_sql(shipment_id: str = "%s") -> str:
    """What position_stored reads of a shipment (`shipment_id`: an SQL expression), only while
    "nearby" is still news for it: the order's pickup place and the shopper's coordinates when
    the shipment is carried, not cancelled and has no NEARBY message yet; no row otherwise.
    Its parameters: NEWS_PARAMS."""
    shipment, order = Shipment._meta.db_table, Order._meta.db_table
    notification = Notification._meta.db_table
    return (
        f'SELECT o.pickup_location_ref, o.latitude, o.longitude FROM "{shipment}" s '
        f'JOIN "{order}" o ON o.id = s.order_id '
        f"WHERE s.id = {shipment_id} AND s.cancelled_at IS NULL AND s.status IN (%s, %s) "
        f'AND NOT EXISTS (SELECT 1 FROM "{notification}" n '
        f"WHERE n.shipment_id = s.id AND n.kind = %s)"
    )


# Hand-written (portable): it runs for every stored position, and the ORM's Shipment+Order
# query with its EXISTS cost 2 ms of CPU to build and read, more than the rest of a webhook.
NEWS_SQL = news_sql()
NEWS_PARAMS = (*sorted(CARRYING), NEARBY.value)


def position_stored(*, shipment_id: int, position: Position) -> Notification | None:
    """Called with each position newer than the stored one (positions.receive_position):
    queue the shopper's "nearby" message when this position is the first that is near."""
    if not is_fresh(position.recorded_at, timezone.now()):  # a late webhook: old news
        return None
    # One query a position (couriers report several times a minute).
    with connection.cursor() as cursor:
        cursor.execute(NEWS_SQL, (shipment_id, *NEWS_PARAMS))
        row = cursor.fetchone()
    return position_news(shipment_id=shipment_id, position=position, news=row)


def position_news(
    *, shipment_id: int, position: Position, news: tuple | None
) -> Notification | None:
    """position_stored once the news_sql row is read (None: no longer news)."""
    now = timezone.now()
    if news is None or not is_fresh(position.recorded_at, now):
        return None
    pickup_location_ref, latitude, longitude = news
    if pickup_location_ref:  # see queue_nearby
        return None
    # A delivered order's drop-off is the shopper's address (dropoff_point without a place).
    dropoff = None if latitude is None or longitude is None else (latitude, longitude)
    near = is_near(
        at=(position.latitude, position.longitude),
        eta_at=position.eta_at,
        arriving=position.arriving,
        dropoff=dropoff,
        now=now,
    )
    if not near:
        return None
    shipment = Shipment.objects.select_related("order").filter(pk=shipment_id).first()
    return queue_nearby(shipment) if shipment is not None else None


def queue_nearby(shipment: Shipment) -> Notification | None:
    """Create the shipment's NEARBY notification and queue its sending after commit, as the
    merchant's settings allow; None when not wanted or when it exists already."""
    order = shipment.order
    if order.pickup_location_ref:  # the courier is near the locker or shop, not the shopper
        return None
    if not (order.shopper_email or order.shopper_phone):
        return None
    prefs = NotificationSettings.objects.filter(merchant_id=shipment.merchant_id).first()
    if not (prefs or NotificationSettings(merchant_id=shipment.merchant_id)).allows(NEARBY):
        return None
    sent = sent_kinds([shipment.pk], states=QUEUED_OR_SENT)[shipment.pk]
    if not order_status.message_allowed(
        order=order, kind=NEARBY, sent_kinds=sent, parcel_status=shipment.status
    ):
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                merchant_id=shipment.merchant_id, shipment_id=shipment.pk, kind=NEARBY
            )
    except IntegrityError:  # another position of this courier got there first
        return None
    from fulfillment.tracking.tasks import send_tracking_notifications

    options = queue_options()
    transaction.on_commit(
        lambda: send_tracking_notifications.apply_async(([notification.pk],), **options)
    )
    return notification


def live_courier(shipment: Shipment, *, now: dt.datetime | None = None) -> LiveCourier | None:
    """The courier of this shipment as the tracking page shows it, or None: no live courier,
    a position too old to be live, or a parcel that is no longer on its way."""
    if shipment.cancelled_at is not None or TrackingStatus(shipment.status).is_terminal:
        return None
    position = CourierPosition.objects.filter(shipment_id=shipment.pk).first()
    now = now or timezone.now()
    if position is None or not is_fresh(position.recorded_at, now):
        return None
    if not is_fresh(position.received_at, now):
        return None
    carrying = shipment.status in CARRYING
    dropoff = dropoff_point(shipment)
    at = (position.latitude, position.longitude)
    arriving = carrying and is_near(
        at=at, eta_at=position.eta_at, arriving=False, dropoff=dropoff, now=now
    )
    return LiveCourier(
        latitude=position.latitude,
        longitude=position.longitude,
        recorded_at=position.recorded_at,
        first_name=first_name(position.courier_name),
        vehicle=position.vehicle,
        carrying=carrying,
        arriving=arriving,
        minutes_away=minutes_until(position.eta_at, now) if carrying else None,
        dropoff=dropoff,
    )


def message_copy(shipment: Shipment, *, now: dt.datetime | None = None) -> dict[str, str]:
    """The nearby message's words, from the courier's latest position when it is sent:
    "Sam is about 4 minutes away with your parcel"."""
    now = now or timezone.now()
    position = CourierPosition.objects.filter(shipment_id=shipment.pk).first()
    name = first_name(position.courier_name) if position else ""
    minutes = minutes_until(position.eta_at, now) if position else None
    who = name or "Your courier"
    if minutes is None or minutes <= 1:
        lead = f"{who} is almost at your door with your parcel"
    else:
        lead = f"{who} is about {minutes} minutes away with your parcel"
    return {
        "courier_name": name,
        "vehicle": position.vehicle if position else "",
        "minutes_away": "" if minutes is None else str(minutes),
        "nearby_lead": lead,
    }
