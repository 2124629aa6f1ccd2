"""Placement advisor: which storage points to use and how much of each product to hold there.

Demand is the merchant's order history (DemandRecord) grouped by ZIP code, weighted by units
and recency. Two models, both solved by merchant.placement.pmedian:
- "pmedian": the k points that minimise the demand-weighted distance to customers;
- "cost": capacitated facility location, trading each point's monthly cost against the
  last-mile cost of the distance it leaves to customers, within each point's capacity.
A plan is computed in a background job; it stores the effect today and with the plan so that
the merchant sees it before accepting. Accepting opens the chosen candidates and creates the
transfers that move today's stock towards the plan's targets.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from merchant.models import (
    DemandRecord,
    Merchant,
    PlacementPlan,
    Product,
    StockLevel,
    StoragePoint,
    Transfer,
    User,
)
from merchant.placement.pmedian import InfeasiblePlacement, solve_capacitated, solve_pmedian
from merchant.selectors.demand import forecast_total
from merchant.services import jobs, transfers
from merchant.services.geocoding import distance_m

# Until courier rate cards exist, the last mile is estimated with a typical local rate.
DEFAULT_BASE_CENTS = 400
DEFAULT_PER_KM_CENTS = 60
DEFAULT_SAME_DAY_KM = 15.0
DEFAULT_HISTORY_DAYS = 180
DEFAULT_HALF_LIFE_DAYS = 60
DEFAULT_COVER_DAYS = 14
SAFETY_FACTOR = 1.2
MODES = ("pmedian", "cost")


@dataclass(frozen=True)
class PlanParams:
    mode: str = "pmedian"
    k: int = 2
    candidate_ids: tuple[int, ...] = ()
    history_days: int = DEFAULT_HISTORY_DAYS
    cover_days: int = DEFAULT_COVER_DAYS
    same_day_km: float = DEFAULT_SAME_DAY_KM
    base_cents: int = DEFAULT_BASE_CENTS
    per_km_cents: int = DEFAULT_PER_KM_CENTS

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanParams:
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if "candidate_ids" in fields:
            fields["candidate_ids"] = tuple(int(i) for i in fields["candidate_ids"])
        return cls(**fields)

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "candidate_ids": list(self.candidate_ids)}


@dataclass
class DemandCluster:
    postal_code: str
    latitude: float
    longitude: float
    weight: float  # recency-weighted units over the history window
    units_per_day: float  # plain units per day over the window


# --- Inputs ---------------------------------------------------------------------------------


def demand_clusters(
    merchant: Merchant,
    *,
    days: int = DEFAULT_HISTORY_DAYS,
    today: date | None = None,
    half_life_days: int = DEFAULT_HALF_LIFE_DAYS,
) -> list[DemandCluster]:
    today = today or timezone.localdate()
    since = today - timedelta(days=days)
    rows = (
        DemandRecord.objects.for_merchant(merchant)
        .filter(ordered_on__gt=since, ordered_on__lte=today)
        .values("postal_code", "ordered_on", "latitude", "longitude")
        .annotate(units=Sum("units"))
    )
    clusters: dict[str, DemandCluster] = {}
    for row in rows:
        age = (today - row["ordered_on"]).days
        weight = row["units"] * 0.5 ** (age / half_life_days)
        cluster = clusters.setdefault(
            row["postal_code"],
            DemandCluster(row["postal_code"], row["latitude"], row["longitude"], 0.0, 0.0),
        )
        cluster.weight += weight
        cluster.units_per_day += row["units"] / days
    return sorted(clusters.values(), key=lambda c: c.postal_code)


def candidate_points(merchant: Merchant, ids: tuple[int, ...] = ()) -> list[StoragePoint]:
    points = StoragePoint.objects.for_merchant(merchant).filter(
        latitude__isnull=False, longitude__isnull=False
    )
    if ids:
        points = points.filter(pk__in=ids)
    else:
        points = points.exclude(is_active=False, role=StoragePoint.Role.IN_USE)
    return list(points.order_by("pk"))


def distance_matrix_km(clusters: list[DemandCluster], points: list[StoragePoint]) -> np.ndarray:
    return np.array(
        [
            [distance_m((c.latitude, c.longitude), p.location) / 1000 for p in points]
            for c in clusters
        ]
    )


# --- Effect of a set of points ----------------------------------------------------------------


def placement_metrics(
    distance_km: np.ndarray,
    clusters: list[DemandCluster],
    points: list[StoragePoint],
    open_idx: list[int],
    params: PlanParams,
) -> dict[str, Any]:
    """Mean and 90th-percentile distance, same-day share and costs when customers are served
    from their nearest open point."""
    if not open_idx:
        return {}
    sub = distance_km[:, open_idx]
    nearest = sub.argmin(axis=1)
    dist = sub[np.arange(len(clusters)), nearest]
    weights = np.array([c.weight for c in clusters])
    order = np.argsort(dist)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    p90 = float(dist[order][np.searchsorted(cumulative, 0.9)])
    served = [points[open_idx[i]] for i in nearest]
    handling = np.array([p.cost_per_order for p in served])
    per_order = params.base_cents + params.per_km_cents * dist + handling
    return {
        "points": [points[i].pk for i in open_idx],
        "mean_km": round(float(np.average(dist, weights=weights)), 2),
        "p90_km": round(p90, 2),
        "same_day_share": round(
            float(weights[dist <= params.same_day_km].sum() / weights.sum()), 3
        ),
        "cost_per_order_cents": round(float(np.average(per_order, weights=weights))),
        "monthly_storage_cents": int(sum(points[i].monthly_cost for i in open_idx)),
    }


# --- Requesting, computing and accepting a plan -----------------------------------------------


def request_plan(
    *, merchant: Merchant, params: PlanParams, user: User | None = None
) -> PlacementPlan:
    """Check that a plan can be computed, then queue the job that computes it."""
    if params.mode not in MODES:
        raise ValidationError({"mode": f"Choose one of {', '.join(MODES)}."})
    if not DemandRecord.objects.for_merchant(merchant).exists():
        raise ValidationError(
            "There is no order history yet: import your history on the Demand page, or wait "
            "for orders to arrive.",
            code="no_history",
        )
    candidates = candidate_points(merchant, params.candidate_ids)
    if params.mode == "pmedian" and not 1 <= params.k <= len(candidates):
        raise ValidationError(
            {
                "k": f"You asked for {params.k} points, but only "
                f"{len(candidates)} candidate points have coordinates."
            }
        )
    if not candidates:
        raise ValidationError("Add storage points (in use or candidates) with an address first.")
    with transaction.atomic():
        plan = PlacementPlan.objects.create(
            merchant=merchant,
            params=params.as_dict(),
            created_by=user if user and user.is_authenticated else None,
        )
        plan.job = jobs.start_job(
            merchant=merchant, kind="placement.plan", user=user, params={"plan_id": plan.pk}
        )
        plan.save(update_fields=["job"])
    return plan


def compute_plan(plan: PlacementPlan, progress: jobs.Progress | None = None) -> PlacementPlan:
    if plan.status != PlacementPlan.Status.PENDING:
        return plan  # computed already: a retried job changes nothing
    params = PlanParams.from_dict(plan.params)
    merchant = plan.merchant
    if progress:
        progress.set_total(100, "Reading order history")
    clusters = demand_clusters(merchant, days=params.history_days)
    points = candidate_points(merchant, params.candidate_ids)
    if not clusters:
        raise jobs.JobFailed(f"No orders in the last {params.history_days} days to plan from.")
    distance = distance_matrix_km(clusters, points)
    weights = np.array([c.weight for c in clusters])

    def on_solver(fraction: float, message: str) -> None:
        if progress:
            progress.update(int(10 + 80 * fraction), message)

    if params.mode == "pmedian":
        solution = solve_pmedian(
            distance, params.k, weights=weights, time_limit=20, progress=on_solver
        )
        open_idx, solver = solution.medians, solution
    else:
        cover = np.array([c.units_per_day * params.cover_days * SAFETY_FACTOR for c in clusters])
        try:
            solution = solve_capacitated(
                distance,
                demand=cover,
                capacity=np.array([p.capacity_units for p in points], dtype=float),
                fixed_cost=np.array([p.monthly_cost for p in points], dtype=float),
                # monthly last-mile cost of a unit-km of cover: orders per month per cover unit
                cost_per_distance=params.per_km_cents * 30 / params.cover_days / SAFETY_FACTOR,
                time_limit=20,
                progress=on_solver,
            )
        except InfeasiblePlacement as exc:
            raise jobs.JobFailed(str(exc)) from exc
        open_idx, solver = solution.open, solution

    if progress:
        progress.update(92, "Sizing stock from the forecast")
    outlook = forecast_outlook(merchant, params)
    today_idx = [
        i for i, p in enumerate(points) if p.is_active and p.role == StoragePoint.Role.IN_USE
    ]
    result = {
        "points": [
            {
                "id": p.pk,
                "name": p.name,
                "lat": p.latitude,
                "lon": p.longitude,
                "open": i in open_idx,
                "in_use_today": i in today_idx,
                "capacity_units": p.capacity_units,
            }
            for i, p in enumerate(points)
        ],
        "clusters": _cluster_assignment(distance, clusters, points, open_idx),
        "stock_targets": stock_targets(
            merchant, clusters, distance, points, open_idx, params, scale=outlook["scale"]
        ),
        "forecast": outlook,
        "solver": {
            "method": solver.method,
            "optimal": bool(solver.optimal),
            "seconds": round(solver.seconds, 2),
            "objective": float(solver.objective),
        },
    }
    PlacementPlan.objects.filter(pk=plan.pk).update(
        status=PlacementPlan.Status.READY,
        result=result,
        metrics_today=placement_metrics(distance, clusters, points, today_idx, params),
        metrics_plan=placement_metrics(distance, clusters, points, list(open_idx), params),
    )
    plan.refresh_from_db()
    return plan


def _cluster_assignment(
    distance: np.ndarray,
    clusters: list[DemandCluster],
    points: list[StoragePoint],
    open_idx: list[int],
) -> list[dict]:
    sub = distance[:, open_idx]
    nearest = sub.argmin(axis=1)
    return [
        {
            "postal_code": c.postal_code,
            "lat": c.latitude,
            "lon": c.longitude,
            "weight": round(c.weight, 2),
            "point_id": points[open_idx[j]].pk,
            "distance_km": round(float(sub[i, j]), 2),
        }
        for i, (c, j) in enumerate(zip(clusters, nearest, strict=True))
    ]


def forecast_outlook(merchant: Merchant, params: PlanParams) -> dict[str, Any]:
    """How the coming cover period compares with the history: the forecast's orders per day
    over the next `cover_days` against the history's average (the stock targets' scale)."""
    history, _future, forecast = forecast_total(merchant, horizon=max(7, params.cover_days))
    window = history.orders[-params.history_days :]
    past_per_day = float(window.mean()) if window.size else 0.0
    expected_per_day = float(forecast.mean[: params.cover_days].mean())
    scale = expected_per_day / past_per_day if past_per_day > 0 else 1.0
    return {
        "method": forecast.method,
        "expected_orders_per_day": round(expected_per_day, 2),
        "history_orders_per_day": round(past_per_day, 2),
        # A thin or odd history must neither empty nor flood the shelves.
        "scale": round(min(2.0, max(0.5, scale)), 3),
    }


def stock_targets(
    merchant: Merchant,
    clusters: list[DemandCluster],
    distance: np.ndarray,
    points: list[StoragePoint],
    open_idx: list[int],
    params: PlanParams,
    *,
    scale: float = 1.0,
) -> list[dict]:
    """Units of each product to hold at each open point: its customers' daily demand (scaled
    by the forecast for the coming period) times the cover period, plus a safety margin."""
    since = timezone.localdate() - timedelta(days=params.history_days)
    serving = {
        c.postal_code: points[open_idx[j]].pk
        for c, j in zip(clusters, distance[:, open_idx].argmin(axis=1), strict=True)
    }
    per_day: dict[tuple[int, int], float] = defaultdict(float)
    rows = (
        DemandRecord.objects.for_merchant(merchant)
        .filter(ordered_on__gt=since, product__isnull=False)
        .values("product_id", "postal_code")
        .annotate(units=Sum("units"))
    )
    for row in rows:
        point_id = serving.get(row["postal_code"])
        if point_id:
            per_day[(row["product_id"], point_id)] += row["units"] / params.history_days
    skus = dict(Product.objects.for_merchant(merchant).values_list("pk", "sku"))
    return [
        {
            "product_id": product_id,
            "sku": skus.get(product_id, ""),
            "point_id": point_id,
            "units": math.ceil(rate * scale * params.cover_days * SAFETY_FACTOR),
        }
        for (product_id, point_id), rate in sorted(per_day.items())
        if rate > 0
    ]


def discard_plan(*, plan: PlacementPlan) -> PlacementPlan:
    """Discard a plan that is ready to review (or failed); one conditional UPDATE, so a plan
    accepted meanwhile is never discarded."""
    discardable = [PlacementPlan.Status.READY, PlacementPlan.Status.FAILED]
    updated = PlacementPlan.objects.filter(pk=plan.pk, status__in=discardable).update(
        status=PlacementPlan.Status.DISCARDED
    )
    if not updated:
        raise ValidationError("Only a plan ready to review can be discarded.", code="state")
    plan.status = PlacementPlan.Status.DISCARDED
    return plan


def accept_plan(*, plan: PlacementPlan, user: User | None = None) -> list[Transfer]:
    """Open the plan's candidate points and create the transfers that carry the plan out."""
    with transaction.atomic():
        plan = PlacementPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status != PlacementPlan.Status.READY:
            raise ValidationError(
                f"This plan is {plan.get_status_display().lower()}; only a "
                "plan ready to review can be accepted.",
                code="state",
            )
        open_ids = [p["id"] for p in plan.result["points"] if p["open"]]
        StoragePoint.objects.for_merchant(plan.merchant).filter(pk__in=open_ids).update(
            role=StoragePoint.Role.IN_USE, is_active=True, inactive_reason=""
        )
        made = _transfers_towards_targets(plan, user)
        plan.status, plan.accepted_at = PlacementPlan.Status.ACCEPTED, timezone.now()
        plan.save(update_fields=["status", "accepted_at"])
    return made


def _transfers_towards_targets(plan: PlacementPlan, user: User | None) -> list[Transfer]:
    merchant = plan.merchant
    targets: dict[tuple[int, int], int] = {
        (t["product_id"], t["point_id"]): t["units"] for t in plan.result["stock_targets"]
    }
    points = {p.pk: p for p in StoragePoint.objects.for_merchant(merchant)}
    available: dict[tuple[int, int], int] = {
        (lvl.product_id, lvl.point_id): lvl.available
        for lvl in StockLevel.objects.for_merchant(merchant)
    }
    moves: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for product_id in sorted({k[0] for k in targets} | {k[0] for k in available}):
        surplus = {
            pt: available.get((product_id, pt), 0) - targets.get((product_id, pt), 0)
            for pt in points
        }
        for dest in sorted(pt for pt, s in surplus.items() if s < 0):
            need = -surplus[dest]
            donors = sorted(
                (pt for pt, s in surplus.items() if s > 0),
                key=lambda pt: distance_m(
                    points[pt].location or (0, 0), points[dest].location or (0, 0)
                ),
            )
            for donor in donors:
                qty = min(need, surplus[donor])
                if qty <= 0:
                    continue
                moves[(donor, dest)].append((product_id, qty))
                surplus[donor] -= qty
                need -= qty
                if need == 0:
                    break
    products = Product.objects.for_merchant(merchant).in_bulk()
    return [
        transfers.create_transfer(
            merchant=merchant,
            from_point=points[src],
            to_point=points[dst],
            lines=[(products[pid], qty) for pid, qty in lines],
            plan=plan,
            user=user,
            note=f"Placement plan {plan.pk}",
        )
        for (src, dst), lines in sorted(moves.items())
    ]


def fail_plan(plan_id: int, error: str) -> None:
    PlacementPlan.objects.filter(pk=plan_id, status=PlacementPlan.Status.PENDING).update(
        status=PlacementPlan.Status.FAILED, error=error
    )
