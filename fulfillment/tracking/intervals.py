"""When to poll a shipment next, from its state (adaptive intervals) and how its courier talks.

Out for delivery (or a failed attempt, often retried the same day): every 5–10 minutes. In
transit: hourly. Quiet for a day, or a pickup expired (returning to the sender): daily. Final:
never. Silent for STUCK_AFTER: stop and flag the parcel as stuck (the exceptions queue shows
it). A courier that pushes (webhooks) or has a change feed is polled only as a safety net.
Every interval gets ±10% jitter so that a burst of shipments booked together spreads out
instead of polling in lock-step.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from fulfillment.couriers.adapters.types import TrackingStatus

S = TrackingStatus
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)

ACTIVE = (5 * MINUTE, 10 * MINUTE)  # out for delivery / failed attempt
IN_TRANSIT = HOUR
QUIET_AFTER = dt.timedelta(hours=24)
QUIET = dt.timedelta(hours=24)
PICKUP = dt.timedelta(hours=6)
SAFETY_NET = dt.timedelta(hours=12)
STUCK_AFTER = dt.timedelta(days=5)
RETRY = (1 * MINUTE, 3 * MINUTE)  # the courier failed for this number: try again soon
LEASE = dt.timedelta(minutes=10)  # a claimed shipment is re-planned if its batch never reports


@dataclass(frozen=True)
class NextPoll:
    at: dt.datetime | None  # None: do not poll any more
    stuck: bool = False


def _jitter(delta: dt.timedelta, rng: random.Random) -> dt.timedelta:
    return delta * rng.uniform(0.9, 1.1)


def next_poll(
    *,
    status: TrackingStatus,
    now: dt.datetime,
    last_event_at: dt.datetime | None,
    booked_at: dt.datetime | None = None,
    pushed: bool = False,
    rng: random.Random | None = None,
) -> NextPoll:
    rng = rng or random.Random()
    if status.is_terminal and status is not S.EXPIRED:
        return NextPoll(None)
    quiet_since = last_event_at or booked_at or now
    silence = now - quiet_since
    if silence >= STUCK_AFTER:
        return NextPoll(None, stuck=True)
    if status is S.EXPIRED:  # going back to the sender: daily until "returned"
        return NextPoll(now + _jitter(QUIET, rng))
    if pushed:
        return NextPoll(now + _jitter(SAFETY_NET, rng))
    if status in (S.OUT_FOR_DELIVERY, S.FAILED_ATTEMPT):
        low, high = (d.total_seconds() for d in ACTIVE)
        return NextPoll(now + dt.timedelta(seconds=rng.uniform(low, high)))
    if status is S.AVAILABLE_FOR_PICKUP:
        return NextPoll(now + _jitter(PICKUP, rng))
    if silence >= QUIET_AFTER:
        return NextPoll(now + _jitter(QUIET, rng))
    return NextPoll(now + _jitter(IN_TRANSIT, rng))


def retry_at(now: dt.datetime, failures: int, rng: random.Random | None = None) -> dt.datetime:
    """After a failed poll of one number: soon, backing off with repeated failures (≤ 1 h)."""
    rng = rng or random.Random()
    low, high = (d.total_seconds() for d in RETRY)
    seconds = min(3600.0, rng.uniform(low, high) * 2 ** min(failures, 6))
    return now + dt.timedelta(seconds=seconds)
