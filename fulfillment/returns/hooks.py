"""Where lockers plugs into returns without fulfillment importing it (registered in
LockersConfig.ready()).

- DROPOFF_RESERVERS: f(*, order) -> DropoffPlace | None. Called when a drop-off return is
  approved: a provider that can take the parcel (the order's own locker, with a free compartment
  that fits) holds a compartment for it and says where; None leaves the shop drop-off at the
  storage point. Called inside the approval's transaction, so a failed approval holds nothing.
- DROPOFF_RELEASERS: f(*, merchant_id, reference) -> None. Called when the return is received:
  free what the reserver held (`reference` is what it returned).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DropoffPlace:
    place: str  # "Parcel locker Wicker Park, 1520 N Milwaukee Ave, compartment B2 (medium)"
    reference: str  # the provider's own name for the hold (a reservation token)


DROPOFF_RESERVERS: list[Callable[..., DropoffPlace | None]] = []
DROPOFF_RELEASERS: list[Callable[..., None]] = []


def reserve_dropoff(*, order: Any) -> DropoffPlace | None:
    for reserve in DROPOFF_RESERVERS:
        found = reserve(order=order)
        if found is not None:
            return found
    return None


def release_dropoff(*, merchant_id: int, reference: str) -> None:
    if not reference:
        return
    for release in DROPOFF_RELEASERS:
        release(merchant_id=merchant_id, reference=reference)
