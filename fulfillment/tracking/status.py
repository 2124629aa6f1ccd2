"""Folding a shipment's stored events into its one normalised status.

Events are applied in the courier's own time order (occurred_at, then the order they were
stored in), each through TrackingStatus.advance: a late-arriving older scan lands in its place
in the timeline and never moves the parcel backwards; only an event the courier timestamps
later can move it on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from fulfillment.couriers.adapters.types import TrackingStatus

S = TrackingStatus

# The shopper message a newly reached status triggers (see notifications.py).
NOTIFY_ON: dict[TrackingStatus, str] = {
    S.IN_TRANSIT: "shipped",
    S.OUT_FOR_DELIVERY: "out_for_delivery",
    S.AVAILABLE_FOR_PICKUP: "available_for_pickup",
    S.DELIVERED: "delivered",
    S.FAILED_ATTEMPT: "failed_attempt",
}
# Statuses that put a shipment in the exceptions queue.
PROBLEM_STATUSES = (S.FAILED_ATTEMPT.value, S.EXCEPTION.value)
FINAL_STATUSES = tuple(s.value for s in S if s.is_terminal)
# Polling stops at these. Not at "expired": a parcel whose pickup period ran out is on its way
# back to the sender, and the courier's "returned" comes days later.
DONE_POLLING = tuple(s for s in FINAL_STATUSES if s != S.EXPIRED.value)


@dataclass(frozen=True)
class StoredEvent:
    """What folding needs of an event row (a ShipmentEvent or a fresh TrackingEvent)."""

    status: TrackingStatus
    occurred_at: dt.datetime
    order: int = 0  # tie-break for equal timestamps: storage order
    source: str = "courier"
    reason_code: str = ""
    description: str = ""


@dataclass(frozen=True)
class Folded:
    status: TrackingStatus
    changed_at: dt.datetime | None  # occurred_at of the event that set the status
    reason: str
    text: str
    last_courier_event_at: dt.datetime | None
    handed_over_at: dt.datetime | None
    delivered_at: dt.datetime | None


def fold(events: Iterable[StoredEvent], *, start: TrackingStatus = S.PENDING) -> Folded:
    status, changed_at, reason, text = start, None, "", ""
    last_at = handed_over = delivered = None
    for event in sorted(events, key=lambda e: (e.occurred_at, e.order)):
        new = status.advance(event.status)
        if new is event.status:  # the event counts (an ignored older scan changes nothing)
            if new is not status:
                changed_at = event.occurred_at
            status, reason, text = new, event.reason_code, event.description
        if event.source != "nearbox":
            last_at = event.occurred_at if last_at is None else max(last_at, event.occurred_at)
        if event.status is S.IN_TRANSIT and handed_over is None:
            handed_over = event.occurred_at
        if event.status is S.DELIVERED and delivered is None:
            delivered = event.occurred_at
    return Folded(status, changed_at, reason, text, last_at, handed_over, delivered)


def notification_kind(old: TrackingStatus, new: TrackingStatus) -> str | None:
    """The message to send when the status moved from `old` to `new`, if any."""
    if new is old:
        return None
    return NOTIFY_ON.get(new)
