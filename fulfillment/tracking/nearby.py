"""Whether a live courier is near the shopper, and the "nearby" notification (sent once)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fulfillment.tracking.positions import Position


def position_stored(*, shipment_id: int, position: Position) -> None:
    """Called with each position newer than the stored one (positions.receive_position)."""
