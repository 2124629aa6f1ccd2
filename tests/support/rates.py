"""Rate-shopping test helpers: a courier service as the rate book holds it, built in memory."""

from __future__ import annotations

import datetime as dt

from fulfillment.couriers.services.rates import ServiceEntry


def service_entry(**fields) -> ServiceEntry:
    """A next-day manual service of account 1 at a flat 5.00 USD; `fields` override any value."""
    values = dict(
        account_id=1, account_name="Acme", courier="manual", currency="USD", service_id=1,
        level="next_day", code="nd", name="Next day", transit_hours=24,
        pickup_cutoff=dt.time(17), max_weight_g=None, max_dims_mm=None, base_minor=500,
        per_km_minor=0, per_kg_minor=0, size_surcharges=(), fuel_pct=0.0, minimum_minor=0,
        areas=(),
    )  # fmt: skip
    values.update(fields)
    return ServiceEntry(**values)
