"""The analytics report: what `build_report` returns and the page, the API and the CSV render.

Plain dataclasses of ints, floats, strings and None (money in minor units with the report's
currency), so `report.to_dict()` is JSON as it stands. Every section holds the figures of the
period, the same figures for the previous period of the same length, a daily series for trend
lines and breakdown rows (by courier, service, point, ZIP, reason...).

A day's figures describe the orders *created* that local day (a cohort) and everything that has
happened to them and their shipments so far: a parcel delivered on Tuesday for a Monday order
counts on Monday. That keeps a day the unit the rollups recompute (see services/rollups.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

Number = int | float | None
Unit = Literal["count", "money", "share", "days", "hours", "metres"]

# Every figure a section may hold, with its unit and a label the page shows.
FIGURES: dict[str, tuple[Unit, str]] = {
    # cost
    "orders": ("count", "Orders"),
    "order_value_minor": ("money", "Order value"),
    "shipments": ("count", "Shipments booked"),
    "parcels": ("count", "Parcels (not voided)"),
    "label_spend_minor": ("money", "Label spend (paid to couriers)"),
    "cost_per_order_minor": ("money", "Last-mile cost per order"),
    "cost_per_parcel_minor": ("money", "Last-mile cost per parcel"),
    "cost_share_of_value": ("share", "Last-mile cost as a share of order value"),
    "shipping_charged_minor": ("money", "Shipping charged to shoppers"),
    "surcharges_minor": ("money", "Surcharges"),
    "voids": ("count", "Labels voided"),
    "voided_spend_minor": ("money", "Value of voided labels"),
    # performance
    "delivered": ("count", "Delivered"),
    "delivered_with_promise": ("count", "Delivered with a promised date"),
    "on_time": ("count", "Delivered on time"),
    "on_time_share": ("share", "On time against the promise"),
    "first_attempt_success": ("count", "Delivered at the first attempt"),
    "first_attempt_share": ("share", "First-attempt success"),
    "failed_attempts": ("count", "Failed attempts"),
    "transit_days_median": ("days", "Transit days (median)"),
    "transit_days_p90": ("days", "Transit days (p90)"),
    "order_to_delivery_days_median": ("days", "Order to delivery days (median)"),
    "order_to_delivery_days_p90": ("days", "Order to delivery days (p90)"),
    "stuck": ("count", "Stuck parcels"),
    "exceptions": ("count", "Parcels with an exception"),
    "exceptions_resolved": ("count", "Exceptions resolved"),
    "exception_resolve_hours_mean": ("hours", "Time to resolve an exception (mean)"),
    # pickup
    "pickup_orders": ("count", "Orders to a locker or shop"),
    "locker_orders": ("count", "Orders to a locker"),
    "shop_orders": ("count", "Orders to a pickup shop"),
    "locker_share": ("share", "Share of orders to lockers"),
    "shop_share": ("share", "Share of orders to pickup shops"),
    "collected": ("count", "Collected"),
    "collection_hours_mean": ("hours", "Time to collection (mean)"),
    "expired": ("count", "Expired at the pickup place"),
    "returned": ("count", "Returned to sender"),
    # placement
    "allocated_orders": ("count", "Orders allocated to a point"),
    "nearest_point_orders": ("count", "Shipped from the nearest point"),
    "nearest_point_share": ("share", "Share shipped from the nearest point"),
    "split_orders": ("count", "Split shipments"),
    "split_share": ("share", "Share of split orders"),
    "distance_m_mean": ("metres", "Distance per order (mean)"),
    "same_day": ("count", "Delivered the day ordered"),
    "same_day_share": ("share", "Same-day share"),
}

SECTION_FIGURES: dict[str, tuple[str, ...]] = {
    "cost": (
        "orders",
        "order_value_minor",
        "shipments",
        "parcels",
        "label_spend_minor",
        "cost_per_order_minor",
        "cost_per_parcel_minor",
        "cost_share_of_value",
        "shipping_charged_minor",
        "surcharges_minor",
        "voids",
        "voided_spend_minor",
    ),
    "performance": (
        "delivered",
        "delivered_with_promise",
        "on_time",
        "on_time_share",
        "first_attempt_success",
        "first_attempt_share",
        "failed_attempts",
        "transit_days_median",
        "transit_days_p90",
        "order_to_delivery_days_median",
        "order_to_delivery_days_p90",
        "stuck",
        "exceptions",
        "exceptions_resolved",
        "exception_resolve_hours_mean",
    ),
    "pickup": (
        "orders",
        "pickup_orders",
        "locker_orders",
        "shop_orders",
        "locker_share",
        "shop_share",
        "collected",
        "collection_hours_mean",
        "expired",
        "returned",
    ),
    "placement": (
        "allocated_orders",
        "nearest_point_orders",
        "nearest_point_share",
        "split_orders",
        "split_share",
        "distance_m_mean",
        "same_day",
        "same_day_share",
    ),
}

# The figures of each section's daily series (trend lines).
DAILY_FIGURES: dict[str, tuple[str, ...]] = {
    "cost": ("orders", "label_spend_minor", "cost_per_order_minor", "voids"),
    "performance": ("delivered", "on_time_share", "first_attempt_share", "failed_attempts"),
    "pickup": ("pickup_orders", "locker_share", "shop_share", "expired"),
    "placement": ("nearest_point_share", "split_share", "distance_m_mean", "same_day_share"),
}


@dataclass
class Section:
    """One part of the report: `figures` for the period, `previous` for the period before it."""

    figures: dict[str, Number] = field(default_factory=dict)
    previous: dict[str, Number] = field(default_factory=dict)
    # [{"day": "2026-03-01", "<figure>": value, ...}, ...], one per day of the period, in order.
    daily: list[dict[str, Any]] = field(default_factory=list)
    # name -> rows; each row has "key" (an id, a code or a ZIP), "label" and figures.
    breakdowns: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def change(self, name: str) -> float | None:
        """Relative change of a figure against the previous period (None if not comparable)."""
        now, before = self.figures.get(name), self.previous.get(name)
        if now is None or before in (None, 0):
            return None
        return (now - before) / before


@dataclass
class PlacementEffect:
    """The accepted placement plan's effect: the same figures before and after its acceptance,
    over windows of equal length (the report's length, up to the days since acceptance)."""

    plan_id: int
    accepted_on: str
    days: int
    before: dict[str, Number]
    after: dict[str, Number]


@dataclass
class AnalyticsReport:
    merchant_id: int
    currency: str
    date_from: str
    date_to: str
    previous_from: str
    previous_to: str
    filters: dict[str, Any]
    cost: Section = field(default_factory=Section)
    performance: Section = field(default_factory=Section)
    pickup: Section = field(default_factory=Section)
    placement: Section = field(default_factory=Section)
    placement_effect: PlacementEffect | None = None
    # When the rollups were last folded (ISO), and how many days still wait to be folded.
    rollups_updated_at: str | None = None
    pending_days: int = 0  # days queued whole in the range + orders waiting for the fold
    # The period's summed counters, for the page's histograms (not part of the report's JSON).
    counter_totals: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready dicts. Shallow (no deep copy as dataclasses.asdict makes):
        the sections already hold plain dicts and lists, and a year of daily rows is large."""
        out = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name != "counter_totals"
        }
        for name in ("cost", "performance", "pickup", "placement"):
            out[name] = vars(out[name]).copy()
        if self.placement_effect is not None:
            out["placement_effect"] = vars(self.placement_effect).copy()
        return out

    def sections(self) -> dict[str, Section]:
        return {
            "cost": self.cost,
            "performance": self.performance,
            "pickup": self.pickup,
            "placement": self.placement,
        }


def iso(day: dt.date) -> str:
    return day.isoformat()
