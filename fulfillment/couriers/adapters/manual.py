"""A local courier without an API: we issue the tracking numbers, its driver reports status.

Quotes come from the caller (`quote_source`, e.g. the account's rate card); the driver updates
statuses through a signed link (built elsewhere), so `track` has nothing to fetch and the
tracking poller should skip it (capabilities.track_batch_size == 0).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping

from fulfillment.couriers.adapters.base import Capabilities, CourierAdapter
from fulfillment.couriers.adapters.errors import CourierError, CourierNotSupported
from fulfillment.couriers.adapters.http import CourierHttp
from fulfillment.couriers.adapters.types import (
    CreatedShipment,
    Quote,
    ShipmentRequest,
    TrackingResult,
)

# No 0/O/1/I: drivers read these aloud and type them on phones.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
NUMBER_LENGTH = 10

QuoteSource = Callable[[ShipmentRequest], list[Quote]]


def new_tracking_number() -> str:
    return "NBX" + "".join(secrets.choice(ALPHABET) for _ in range(NUMBER_LENGTH))


class ManualAdapter(CourierAdapter):
    code = "manual"
    name = "Local courier (no API)"
    capabilities = Capabilities(
        track_batch_size=0, can_quote=True, can_create_shipment=True, can_cancel=True
    )

    def __init__(
        self,
        *,
        credentials: Mapping[str, str] | None = None,
        base_url: str | None = None,
        http: CourierHttp | None = None,
        quote_source: QuoteSource | None = None,
    ) -> None:
        super().__init__(credentials=credentials or {}, base_url=base_url, http=http)
        self.quote_source = quote_source

    def quote(self, request: ShipmentRequest) -> list[Quote]:
        if self.quote_source is None:
            raise CourierNotSupported(
                "this local courier quotes from its rate card; pass quote_source", courier=self.code
            )
        return self.quote_source(request)

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        # Nothing leaves the building, so a retried task just gets a fresh number: the caller
        # keeps the first one it stored for the idempotency key.
        return CreatedShipment(tracking_number=new_tracking_number())

    def track(self, tracking_numbers: list[str]) -> dict[str, TrackingResult | CourierError]:
        return {}

    def cancel(self, tracking_number: str) -> None:
        """Nothing to tell: the parcel leaves the driver's list when our shipment is cancelled."""
