"""The shop's own drivers as a courier (#16): one account per own-fleet service of a hub
(fulfillment/fleet/services/), so rate shopping, bulk shipping and the checkout's home options
see it like any courier service.

Its price and availability (area, cut-off, a wave with room) are worked out in rate shopping
from the FleetService (couriers/services/rates.py, fleet entries), not by calling anything:
nothing leaves the building. Booking issues a Nearbox tracking number and no courier label
(our own label is printed); the order then waits for the wave's route plan. Statuses come from
the driver app, so there is nothing to poll (track_batch_size == 0).
"""

from __future__ import annotations

from collections.abc import Mapping

from fulfillment.couriers.adapters.base import Capabilities, CourierAdapter
from fulfillment.couriers.adapters.errors import CourierError
from fulfillment.couriers.adapters.http import CourierHttp
from fulfillment.couriers.adapters.manual import new_tracking_number
from fulfillment.couriers.adapters.types import CreatedShipment, ShipmentRequest, TrackingResult

CODE = "own_fleet"


class OwnFleetAdapter(CourierAdapter):
    code = CODE
    name = "Own drivers"
    capabilities = Capabilities(track_batch_size=0, can_create_shipment=True, can_cancel=True)

    def __init__(
        self,
        *,
        credentials: Mapping[str, str] | None = None,
        base_url: str | None = None,
        http: CourierHttp | None = None,
    ) -> None:
        super().__init__(credentials=credentials or {}, base_url=base_url, http=http)

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        # A retried booking gets a fresh number; the booking keeps the first one it stored.
        return CreatedShipment(tracking_number=new_tracking_number())

    def track(self, tracking_numbers: list[str]) -> dict[str, TrackingResult | CourierError]:
        return {}

    def cancel(self, tracking_number: str) -> None:
        """Nothing to tell: a cancelled shipment is left out of the next plan."""
