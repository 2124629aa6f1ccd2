"""The sandbox's parcel journeys: a deterministic plan per tracking number.

Offsets are simulated seconds after creation; the server divides them by its speed factor to
get real time. The outcome (delivered, a failed attempt first, an exception on the way, or
returned after an expired pickup) is drawn from the configured shares with a random generator
seeded by (seed, tracking number), so a restart or another test run sees the same journey.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

HOUR = 3600.0


@dataclass(frozen=True)
class Shares:
    failed_attempt: float = 0.10
    exception: float = 0.05
    returned: float = 0.03

    def __post_init__(self) -> None:
        values = (self.failed_attempt, self.exception, self.returned)
        if any(v < 0 for v in values) or sum(values) > 1:
            raise ValueError("shares must be >= 0 and add up to at most 1")


@dataclass(frozen=True)
class Step:
    offset_s: float
    status_code: str  # DHL Unified statusCode
    status: str  # DHL status text
    description: str
    place: str  # origin | hub | destination | pickup_point
    remark: str = ""


def outcome_for(rng: random.Random, shares: Shares) -> str:
    draw = rng.random()
    for name, share in (
        ("returned", shares.returned),
        ("failed_attempt", shares.failed_attempt),
        ("exception", shares.exception),
    ):
        if draw < share:
            return name
        draw -= share
    return "delivered"


def plan_journey(tracking_number: str, *, seed: int, shares: Shares) -> tuple[str, list[Step]]:
    """(outcome, steps in time order) for one parcel."""
    rng = random.Random(f"{seed}:{tracking_number}")
    outcome = outcome_for(rng, shares)
    t = 0.0
    steps = [
        Step(t, "pre-transit", "SHIPMENT INFORMATION RECEIVED", "Label created.", "origin"),
    ]

    def add(hours: tuple[float, float], *args: str) -> None:
        nonlocal t
        t += rng.uniform(*hours) * HOUR
        steps.append(Step(t, *args))

    add((1, 3), "transit", "PICKED UP", "The courier picked up the parcel.", "origin")
    add((1, 3), "transit", "ARRIVED AT SORTING CENTRE", "Sorted for its destination.", "hub")
    if outcome == "exception":
        add((0.5, 2), "failure", "EXCEPTION", "Packaging damaged; being repacked.", "hub",
            "Damaged packaging")  # fmt: skip
        add((3, 6), "transit", "REPACKED", "Repacked and back on its way.", "hub")
    add((1, 2), "transit", "DEPARTED SORTING CENTRE", "On its way to the delivery depot.", "hub")
    add((2, 5), "transit", "ARRIVED AT DELIVERY DEPOT", "At the local depot.", "destination")
    add((6, 12), "transit", "OUT FOR DELIVERY", "With the delivery courier.", "destination")
    if outcome in ("failed_attempt", "returned"):
        add((1, 5), "transit", "DELIVERY ATTEMPTED", "Nobody was home; we will try again.",
            "destination", "Recipient not at home")  # fmt: skip
        add((16, 20), "transit", "OUT FOR DELIVERY", "Second delivery attempt today.",
            "destination")  # fmt: skip
    if outcome == "returned":
        add((1, 5), "transit", "DELIVERY ATTEMPTED", "Nobody was home again.", "destination",
            "Recipient not at home")  # fmt: skip
        add((1, 3), "transit", "AVAILABLE FOR PICKUP", "Waiting at a service point for 7 days.",
            "pickup_point")  # fmt: skip
        add((168, 168), "failure", "PICKUP PERIOD EXPIRED", "Not collected in time.",
            "pickup_point", "Not collected within 7 days")  # fmt: skip
        add((24, 48), "failure", "RETURNED TO SENDER", "Delivered back to the sender.", "origin",
            "Not collected")  # fmt: skip
    else:
        add((1, 5), "delivered", "DELIVERED", "Delivered to the recipient.", "destination")
    return outcome, steps


def delivery_estimate(steps: list[Step]) -> tuple[float, float]:
    """(from, through) offsets: the first delivery round, as the courier would promise it."""
    out = next(s.offset_s for s in steps if s.status == "OUT FOR DELIVERY")
    return out, out + 6 * HOUR
