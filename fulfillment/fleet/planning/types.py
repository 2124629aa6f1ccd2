"""The planning problem and its solution, in plain dataclasses (no models, no database).

Times are aware datetimes; durations in seconds; distances in metres; capacities and demands as
(parcels, grams, millilitres); money in minor units of the merchant's currency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "Place",
    "PlanJob",
    "PlanVehicle",
    "PlannedRoute",
    "PlannedStop",
    "PlanningProblem",
    "PlanningSolution",
    "RouteCheck",
]


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float


@dataclass
class PlanVehicle:
    """One vehicle for one shift (key: a route or shift id, unique in the problem)."""

    key: str
    kind: str  # Vehicle.Kind value: "cargo_bike", "car", "van"
    start: Place
    end: Place | None
    shift_start: datetime
    shift_end: datetime
    capacity: tuple[int, int, int]
    skills: frozenset[str] = frozenset()
    # (earliest start, latest end, seconds): a break of that length inside that range.
    breaks: list[tuple[datetime, datetime, int]] = field(default_factory=list)
    per_hour_minor: int = 0
    per_km_minor: int = 0


@dataclass
class PlanJob:
    """One stop to serve (key: the order id, unique in the problem)."""

    key: str
    place: Place
    window: tuple[datetime, datetime] | None  # service must start inside it
    service_seconds: int
    demand: tuple[int, int, int]
    skills: frozenset[str] = frozenset()


@dataclass
class PlanningProblem:
    vehicles: list[PlanVehicle]
    jobs: list[PlanJob]
    depart_at: datetime  # no vehicle leaves before this (the wave)


@dataclass
class PlannedStop:
    job_key: str
    arrival: datetime
    start: datetime  # after waiting for the window
    departure: datetime


@dataclass
class PlannedRoute:
    vehicle_key: str
    stops: list[PlannedStop]
    distance_m: int
    duration_s: int
    depart: datetime
    back: datetime
    # (start, end) of each break taken on the route
    breaks: list[tuple[datetime, datetime]] = field(default_factory=list)
    cost_minor: int = 0


@dataclass
class PlanningSolution:
    routes: list[PlannedRoute]
    unassigned: dict[str, str]  # job key -> reason, in a sentence
    matrix_source: str = ""
    notes: list[str] = field(default_factory=list)  # e.g. "OSRM failed (...): offline model used"
    seconds: float = 0.0

    @property
    def distance_m(self) -> int:
        return sum(r.distance_m for r in self.routes)

    @property
    def duration_s(self) -> int:
        return sum(r.duration_s for r in self.routes)


@dataclass
class RouteCheck:
    """A route re-timed in a given order: feasible, or the problems in sentences."""

    feasible: bool
    stops: list[PlannedStop]
    distance_m: int
    duration_s: int
    problems: list[str]
    back: datetime | None = None
    depart: datetime | None = None  # when the route leaves its start (or the driver's position)
