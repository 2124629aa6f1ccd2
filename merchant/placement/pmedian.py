"""Facility-location solvers: uncapacitated p-median and capacitated facility location.

Pure numpy (plus HiGHS through ``highspy`` for the exact parts); no Django imports, so the
placement advisor can run it in a background job and the benchmark can run it standalone.

p-median pipeline (``solve_pmedian``):

1. greedy construction, then best-improvement swap local search (Whitaker's fast interchange
   in the Resende-Werneck gain/loss/extra form, one numpy matrix product per move);
2. Lagrangian relaxation of the assignment constraints with subgradient optimisation, which
   gives a lower bound and fixes candidates open/closed by Lagrangian reduced costs;
3. variable neighbourhood search (random k-swap shaking + local search) on what is left;
4. if the bound has not met the incumbent, an exact MIP with HiGHS on the reduced problem.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from time import perf_counter
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import highspy

ProgressCallback = Callable[[float, str], None]

__all__ = [
    "FacilitySolution",
    "InfeasiblePlacement",
    "PMedianSolution",
    "PlacementError",
    "solve_capacitated",
    "solve_pmedian",
]


class PlacementError(Exception):
    """The solver could not produce a placement."""


class InfeasiblePlacement(PlacementError):
    """No placement satisfies the constraints (capacity, number of points, required points)."""


@dataclass
class PMedianSolution:
    """Result of :func:`solve_pmedian`."""

    medians: list[int]  # candidate column indices, sorted
    objective: float  # sum of weight * distance to the nearest open median
    assignment: np.ndarray  # candidate index serving each client
    optimal: bool  # proved optimal (lower bound meets the objective)
    lower_bound: float | None
    seconds: float
    method: str


@dataclass
class FacilitySolution:
    """Result of :func:`solve_capacitated`."""

    open: list[int]  # open candidate indices, sorted
    objective: float  # fixed costs + cost_per_distance * sum(demand * distance)
    fixed_cost: float
    transport_cost: float
    allocation: np.ndarray  # clients x candidates: fraction of each client's demand served
    assignment: np.ndarray  # main (largest share) candidate per client
    load: np.ndarray  # demand served by each candidate
    optimal: bool
    lower_bound: float | None
    seconds: float
    method: str


# --------------------------------------------------------------------------------------------
# p-median
# --------------------------------------------------------------------------------------------


def solve_pmedian(
    distance: np.ndarray,
    p: int,
    *,
    weights: np.ndarray | None = None,
    time_limit: float = 10.0,
    seed: int = 0,
    progress: ProgressCallback | None = None,
) -> PMedianSolution:
    """Choose ``p`` candidate columns minimising the weighted distance of clients to them.

    ``distance`` is clients x candidates (``inf`` = unreachable); ``weights`` per client
    (default 1). Returns as soon as optimality is proved, otherwise after about ``time_limit``
    seconds with the best solution found and the best lower bound.
    """
    start = perf_counter()
    # Headroom for the final bookkeeping and HiGHS overshooting its own limit a little.
    deadline = start + max(0.0, 0.97 * float(time_limit) - 0.1)
    cost, integral = _weighted_costs(distance, weights)
    n_clients, n_cand = cost.shape
    if not 1 <= p <= n_cand:
        raise ValueError(f"p must be between 1 and the number of candidates ({n_cand}), got {p}")
    report = _Reporter(progress, start, time_limit)
    rng = np.random.default_rng(seed)
    # A gap below this is closed: with integral costs any better solution is at least 1 lower.
    tol = 1.0 - 1e-6 if integral else 1e-9 * max(1.0, float(np.abs(cost).sum()) / n_clients)

    report(0.0, "greedy construction")
    search = _Search(cost, _local_search(cost, _greedy(cost, p)), rng)
    method = "greedy+swap"
    lower: float | None = None
    optimal = p == n_cand

    if not optimal and n_clients > 0:
        report(0.05, f"Lagrangian bound (incumbent {search.best_obj:g})")
        lag = _Lagrangian(cost, p, tol)
        lag.run(
            search,
            min(deadline, perf_counter() + 0.25 * time_limit),
            iterations=3000,
            tick=report.tick,
        )
        lower = lag.bound
        optimal = lower >= search.best_obj - tol
        method += "+lagrangian"

        if not optimal:
            report(0.3, f"VNS from {search.best_obj:g} (bound {lower:g})")
            vns_end = min(deadline, perf_counter() + 0.1 * max(0.0, deadline - perf_counter()))
            search.vns(lag, vns_end, lower + tol, tick=report.tick)
            method += "+vns"
            # A better incumbent sharpens reduced-cost fixing before the MIP.
            lag.run(
                search,
                min(deadline, perf_counter() + 0.05 * time_limit),
                iterations=300,
                tick=report.tick,
            )
            lower = max(lower, lag.bound)
            optimal = lower >= search.best_obj - tol

        if not optimal and deadline - perf_counter() > 0.2:
            report(0.5, f"exact MIP on reduced problem (incumbent {search.best_obj:g})")
            mip = _pmedian_mip(
                cost,
                p,
                lag.fixed_open,
                lag.fixed_closed,
                search.best_obj,
                tol,
                deadline,
                tick=report.tick,
            )
            if mip is None:
                # Too big for an exact run: keep searching.
                search.vns(lag, deadline, lower + tol, tick=report.tick)
            else:
                method += "+mip"
                sol, mip_bound, proved = mip
                if sol is not None:
                    search._offer(sol)
                lower = max(lower, mip_bound)
                optimal = proved or lower >= search.best_obj - tol

    best, best_obj = search.best, search.best_obj
    if optimal:
        lower = best_obj  # proved: the bound meets the incumbent (up to integrality)
    medians = np.sort(best)
    assignment = medians[np.argmin(cost[:, medians], axis=1)] if n_clients else np.zeros(0, int)
    report(1.0, f"done: {best_obj:g}{' (optimal)' if optimal else ''}")
    return PMedianSolution(
        medians=[int(m) for m in medians],
        objective=float(best_obj),
        assignment=assignment.astype(np.int64),
        optimal=bool(optimal),
        lower_bound=None if lower is None else float(min(lower, best_obj)),
        seconds=perf_counter() - start,
        method=method,
    )


class _Reporter:
    """Throttled progress callback (a background job does not need a call per iteration).

    A new phase is always reported; repeats of the same phase (`tick`) at most every
    MIN_INTERVAL seconds. Dropping phase starts left the bar still until the end."""

    MIN_INTERVAL = 0.2

    def __init__(self, callback: ProgressCallback | None, start: float, limit: float) -> None:
        self.callback = callback
        self.start = start
        self.limit = max(limit, 1e-9)
        self.last = -1.0
        self.phase = (0.0, "")

    def tick(self) -> None:
        """Report the current phase again, so the bar moves with the clock inside a phase
        (a MIP or a search loop can take most of the time limit)."""
        if self.callback is not None:
            self(*self.phase)

    def __call__(self, fraction: float, message: str) -> None:
        if self.callback is None:
            return
        new_phase = (fraction, message) != self.phase
        self.phase = (fraction, message)
        now = perf_counter()
        if not new_phase and fraction < 1.0 and now - self.last < self.MIN_INTERVAL:
            return
        self.last = now
        # Phases finish early on easy instances; never let the bar run ahead of the clock.
        by_time = (now - self.start) / self.limit
        self.callback(float(min(1.0, max(fraction, min(by_time, 0.99)))), message)


def _weighted_costs(distance: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, bool]:
    """Return weight*distance with ``inf`` replaced by a large finite penalty, and integrality."""
    dist = np.asarray(distance, dtype=np.float64)
    if dist.ndim != 2:
        raise ValueError("distance must be a 2-d array (clients x candidates)")
    if np.isnan(dist).any() or (dist < 0).any():
        raise ValueError("distance must be non-negative and not NaN")
    if weights is None:
        w = np.ones(dist.shape[0])
    else:
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        if w.shape[0] != dist.shape[0]:
            raise ValueError("weights must have one entry per client (row of distance)")
        if not np.isfinite(w).all() or (w < 0).any():
            raise ValueError("weights must be finite and non-negative")
    finite = np.isfinite(dist)
    if not finite.all():
        # Larger than any all-finite solution, so unreachable pairs are used only when forced;
        # the arithmetic of the swap moves needs finite numbers.
        big = (float(dist[finite].max(initial=0.0)) + 1.0) * (dist.shape[0] + 1)
        dist = np.where(finite, dist, big)
    cost = dist * w[:, None]
    integral = bool(np.all(cost == np.round(cost))) and float(cost.sum()) < 2.0**52
    return cost, integral


def _objective(cost: np.ndarray, medians: np.ndarray) -> float:
    if cost.shape[0] == 0:
        return 0.0
    return float(cost[:, medians].min(axis=1).sum())


def _greedy(cost: np.ndarray, p: int) -> np.ndarray:
    """Add, p times, the candidate that lowers the objective most."""
    chosen = [int(np.argmin(cost.sum(axis=0)))]
    nearest = cost[:, chosen[0]].copy()
    for _ in range(p - 1):
        gain = np.maximum(nearest[:, None] - cost, 0.0).sum(axis=0)
        gain[chosen] = -1.0
        j = int(np.argmax(gain))
        chosen.append(j)
        np.minimum(nearest, cost[:, j], out=nearest)
    return np.array(chosen, dtype=np.int64)


def _two_nearest(
    cost: np.ndarray, medians: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per client: cost to nearest median, to second nearest, and position of the nearest."""
    sub = cost[:, medians]
    if medians.size == 1:
        big = np.full(cost.shape[0], float(cost.max(initial=0.0)) * 2 + 1.0)
        return sub[:, 0].copy(), big, np.zeros(cost.shape[0], dtype=np.int64)
    part = np.argpartition(sub, 1, axis=1)[:, :2]
    rows = np.arange(cost.shape[0])
    a, b = sub[rows, part[:, 0]], sub[rows, part[:, 1]]
    swap = b < a
    pos1 = np.where(swap, part[:, 1], part[:, 0])
    return np.minimum(a, b), np.maximum(a, b), pos1


def _local_search(
    cost: np.ndarray, medians: np.ndarray, frozen: np.ndarray | None = None
) -> np.ndarray:
    """Best-improvement swap descent (fast interchange), fully vectorised per move.

    delta(remove r, insert j) = -gain[j] + loss[r] - extra[r, j] with
    gain[j] = sum max(0, d1 - c_j), loss[r] = sum over clients of r of (d2 - d1) and
    extra[r, j] = sum over clients of r of max(0, d2 - max(c_j, d1)).
    ``frozen`` (bool per column) marks medians that must stay open.
    """
    medians = medians.copy()
    n_clients, n_cand = cost.shape
    p = medians.size
    if p == n_cand or n_clients == 0:
        return medians
    eps = 1e-9 * max(1.0, float(cost.max(initial=0.0)))
    onehot = np.zeros((p, n_clients))
    rows = np.arange(n_clients)
    while True:
        d1, d2, pos1 = _two_nearest(cost, medians)
        gain = np.maximum(d1[:, None] - cost, 0.0).sum(axis=0)
        loss = np.bincount(pos1, weights=d2 - d1, minlength=p)
        extra_terms = np.maximum(d2[:, None] - np.maximum(cost, d1[:, None]), 0.0)
        onehot.fill(0.0)
        onehot[pos1, rows] = 1.0
        delta = (loss[:, None] - gain[None, :]) - onehot @ extra_terms
        delta[:, medians] = np.inf
        if frozen is not None:
            delta[frozen[medians], :] = np.inf
        flat = int(np.argmin(delta))
        r, j = divmod(flat, n_cand)
        if not delta[r, j] < -eps:
            return medians
        medians[r] = j


class _Search:
    """Incumbent plus the neighbourhood searches, run on the columns Lagrangian left open.

    Restricting the columns to candidates not fixed closed makes each move several times
    cheaper once the bound is good; fixed-open candidates are frozen in the solution.
    """

    def __init__(self, cost: np.ndarray, medians: np.ndarray, rng: np.random.Generator) -> None:
        self.cost = cost
        self.best = medians.copy()
        self.best_obj = _objective(cost, medians)
        self.rng = rng
        self.tried: set[bytes] = set()
        self.eps = 1e-9 * max(1.0, abs(self.best_obj))

    def _space(self, lag: _Lagrangian) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cols = np.flatnonzero(~lag.fixed_closed)
        return cols, self.cost[:, cols], lag.fixed_open[cols]

    def _offer(self, medians: np.ndarray) -> bool:
        obj = _objective(self.cost, medians)
        if obj < self.best_obj - self.eps:
            self.best, self.best_obj = np.sort(medians), obj
            return True
        return False

    def descend_from(self, medians: np.ndarray, lag: _Lagrangian) -> float:
        """Local search from a (Lagrangian) solution; returns the incumbent objective."""
        key = np.sort(medians).tobytes()
        if key in self.tried:
            return self.best_obj
        self.tried.add(key)
        cols, sub, frozen = self._space(lag)
        pos = np.searchsorted(cols, medians)
        if (pos >= cols.size).any() or (cols[np.minimum(pos, cols.size - 1)] != medians).any():
            return self.best_obj
        self._offer(cols[_local_search(sub, pos, frozen)])
        return self.best_obj

    def vns(
        self,
        lag: _Lagrangian,
        deadline: float,
        stop_at: float,
        tick: Callable[[], None] | None = None,
    ) -> None:
        """Variable neighbourhood search: shake k random swaps, descend, keep if better."""
        cols, sub, frozen = self._space(lag)
        p = self.best.size
        # The incumbent may hold candidates fixed closed (found before the fixing) and miss
        # fixed-open ones: rebuild it inside the reduced space, frozen ones first.
        inside = np.searchsorted(cols, self.best[np.isin(self.best, cols)])
        must = np.flatnonzero(frozen)
        current = np.concatenate([must, np.setdiff1d(inside, must)])[:p]
        if current.size < p:
            spare = np.setdiff1d(np.arange(cols.size), current)
            current = np.concatenate([current, self.rng.choice(spare, p - current.size, False)])
            current = _local_search(sub, current, frozen)
            self._offer(cols[current])
        movable = np.flatnonzero(~frozen[current])
        k_max = max(1, min(movable.size, cols.size - p, 10))
        if movable.size == 0 or cols.size <= p:
            return
        best_local, best_local_obj = current, _objective(sub, current)
        k = 1
        while perf_counter() < deadline and self.best_obj > stop_at:
            if tick:
                tick()
            trial = best_local.copy()
            movable = np.flatnonzero(~frozen[trial])
            drop = self.rng.choice(movable, size=min(k, movable.size), replace=False)
            outside = np.setdiff1d(np.arange(cols.size), trial)
            trial[drop] = self.rng.choice(outside, size=drop.size, replace=False)
            trial = _local_search(sub, trial, frozen)
            obj = _objective(sub, trial)
            if obj < best_local_obj - self.eps:
                best_local, best_local_obj, k = trial, obj, 1
                self._offer(cols[trial])
            else:
                k = k + 1 if k < k_max else 1


class _Lagrangian:
    """Lagrangian relaxation of sum_j x_ij = 1 with subgradient optimisation.

    For multipliers lam, L(lam) = sum lam + sum of the p smallest rho_j with
    rho_j = sum_i min(0, c_ij - lam_i). Every L(lam) is a valid lower bound, and so is every
    reduced-cost test, so candidates get fixed closed/open cumulatively as the search goes.
    Fixing is relative to the incumbent: a fixed candidate cannot be in a *strictly better*
    solution, which is all the later search needs. Every few iterations the relaxed choice
    of medians seeds a local search (Lagrangian heuristic), which keeps the incumbent and
    hence the fixing sharp.
    """

    def __init__(self, cost: np.ndarray, p: int, tol: float) -> None:
        self.cost = cost
        self.p = p
        self.tol = tol
        n = cost.shape[1]
        self.fixed_open = np.zeros(n, dtype=bool)
        self.fixed_closed = np.zeros(n, dtype=bool)
        self.bound = -math.inf
        # Start from the second-smallest cost per client: a common, decent starting point.
        part = np.partition(cost, min(1, n - 1), axis=1)
        self.lam = part[:, min(1, n - 1)].astype(np.float64)
        self.theta = 2.0

    def run(
        self,
        search: _Search,
        deadline: float,
        iterations: int,
        heuristic_every: int = 10,
        tick: Callable[[], None] | None = None,
    ) -> None:
        cost, p = self.cost, self.p
        since_improved = 0
        best_iter_bound = -math.inf
        self.theta = max(self.theta, 0.25)  # a rerun after a better incumbent may move again
        for iteration in range(iterations):
            if perf_counter() > deadline or self.theta < 1e-5:
                break
            if tick:
                tick()
            upper = search.best_obj
            cutoff = upper - self.tol  # bounds above this cannot give a strictly better one
            reduced = np.minimum(cost - self.lam[:, None], 0.0)
            rho = reduced.sum(axis=0)
            free = ~(self.fixed_open | self.fixed_closed)
            need = p - int(self.fixed_open.sum())
            free_idx = np.flatnonzero(free)
            if need < 0 or need > free_idx.size:
                self.bound = math.inf  # fixings leave no better solution: incumbent optimal
                return
            order = free_idx[np.argsort(rho[free_idx], kind="stable")]
            chosen_free = order[:need]
            value = float(self.lam.sum() + rho[self.fixed_open].sum() + rho[chosen_free].sum())
            self.bound = max(self.bound, value)
            if value > best_iter_bound + 1e-9 * max(1.0, abs(value)):
                best_iter_bound, since_improved = value, 0
            else:
                since_improved += 1
                if since_improved >= 30:
                    self.theta /= 2.0
                    since_improved = 0
            if self.bound > cutoff:
                return
            # Reduced-cost fixing: swap one free candidate in or out of the relaxed choice.
            if 0 < need < order.size:
                last_in, first_out = rho[order[need - 1]], rho[order[need]]
                out = order[need:]
                self.fixed_closed[out[value + rho[out] - last_in > cutoff]] = True
                self.fixed_open[chosen_free[value - rho[chosen_free] + first_out > cutoff]] = True
            chosen = np.concatenate([np.flatnonzero(self.fixed_open), chosen_free])
            if heuristic_every and iteration % heuristic_every == heuristic_every - 1:
                search.descend_from(chosen, self)
            served = (cost[:, chosen] < self.lam[:, None]).sum(axis=1)
            grad = 1.0 - served
            norm = float(grad @ grad)
            if norm == 0.0:
                # Relaxed solution is feasible, so it is optimal for the relaxation.
                search.descend_from(chosen, self)
                self.theta = 0.0
                return
            step = self.theta * max(upper - value, 1e-9 * max(1.0, abs(upper))) / norm
            self.lam += step * grad


# Measured on the 2-core dev machine: about this many arcs per second of remaining time keeps
# HiGHS (whose presolve ignores time limits) from overrunning the caller's deadline.
_MIP_ARCS_PER_SECOND = 25_000


def _pmedian_mip(
    cost: np.ndarray,
    p: int,
    fixed_open: np.ndarray,
    fixed_closed: np.ndarray,
    incumbent_obj: float,
    tol: float,
    deadline: float,
    tick: Callable[[], None] | None = None,
) -> tuple[np.ndarray | None, float, bool] | None:
    """Exact p-median MIP on the candidates left by Lagrangian fixing, solved with HiGHS.

    Returns (improving solution or None, lower bound, proved), or None when HiGHS is missing
    or the model is too large for the time left.
    Clients keep only arcs cheaper than their nearest fixed-open candidate, which is what
    makes the model small after good fixing.
    """
    try:
        import highspy
    except ImportError:  # pragma: no cover - optional at runtime, the heuristic still works
        return None
    n_clients = cost.shape[0]
    free = np.flatnonzero(~(fixed_open | fixed_closed))
    need = p - int(fixed_open.sum())
    if need < 0 or need > free.size:
        return None, incumbent_obj, True
    opened = np.flatnonzero(fixed_open)
    base = cost[:, opened].min(axis=1) if opened.size else np.full(n_clients, np.inf)
    sub = cost[:, free]
    # Cornuejols-Nemhauser-Wolsey "distance level" formulation: per client, the distinct
    # costs v_1 < ... < v_K of its usable arcs, and z_k = 1 when no open candidate is at
    # level <= k. Same LP bound as the classic x_ij <= y_j model, but with ties (integer
    # distances) far fewer rows and columns, and much faster LPs inside branch-and-bound.
    cl, col = np.nonzero(sub < base[:, None])
    if cl.size > _MIP_ARCS_PER_SECOND * (deadline - perf_counter()):
        return None  # HiGHS presolve cannot be interrupted: do not start what cannot finish
    arc_cost = sub[cl, col]
    order = np.lexsort((arc_cost, cl))
    cl, col, arc_cost = cl[order], col[order], arc_cost[order]
    new_level = np.ones(cl.size, dtype=bool)
    new_level[1:] = (cl[1:] != cl[:-1]) | (arc_cost[1:] != arc_cost[:-1])
    level_of_arc = np.cumsum(new_level) - 1
    lv_client = cl[new_level]
    lv_value = arc_cost[new_level]
    n_z, n_y = lv_client.size, free.size
    first = np.ones(n_z, dtype=bool)
    first[1:] = lv_client[1:] != lv_client[:-1]
    last = np.ones(n_z, dtype=bool)
    last[:-1] = lv_client[1:] != lv_client[:-1]
    next_value = np.empty(n_z)
    next_value[:-1] = lv_value[1:]
    next_value[last] = base[lv_client[last]]
    finite_next = np.isfinite(next_value)
    z_cost = np.where(finite_next, next_value - lv_value, 0.0)
    z_upper = np.where(finite_next, 1.0, 0.0)  # no fixed-open fallback: must be served
    has_levels = np.zeros(n_clients, dtype=bool)
    has_levels[lv_client] = True
    offset = float(lv_value[first].sum() + base[~has_levels].sum())

    # Rows: one per level (z_k - z_{k-1} + sum of y at level k >= [k is first]), then the
    # cardinality row. Columns: y (free candidates) then z (levels).
    level_idx = np.arange(n_z)
    rows = np.concatenate([level_of_arc, level_idx, level_idx[~first], np.full(n_y, n_z)])
    cols = np.concatenate([col, n_y + level_idx, n_y + level_idx[~first] - 1, np.arange(n_y)])
    vals = np.concatenate(
        [np.ones(cl.size), np.ones(n_z), -np.ones(int((~first).sum())), np.ones(n_y)]
    )
    by_col = np.lexsort((rows, cols))
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = n_y + n_z
    lp.num_row_ = n_z + 1
    lp.col_cost_ = np.concatenate([np.zeros(n_y), z_cost])
    lp.col_lower_ = np.zeros(n_y + n_z)
    lp.col_upper_ = np.concatenate([np.ones(n_y), z_upper])
    lp.offset_ = offset
    lp.row_lower_ = np.concatenate([first.astype(np.float64), [need]])
    lp.row_upper_ = np.concatenate([np.full(n_z, inf), [need]])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    counts = np.bincount(cols, minlength=n_y + n_z)
    lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    lp.a_matrix_.index_ = rows[by_col].astype(np.int32)
    lp.a_matrix_.value_ = vals[by_col]
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_y + [
        highspy.HighsVarType.kContinuous
    ] * n_z
    h = _new_highs()
    # HiGHS checks its clock between nodes and can overrun by a few tenths of a second.
    h.setOptionValue("time_limit", max(0.1, 0.9 * (deadline - perf_counter()) - 0.3))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", max(tol, 1e-9))
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    # Only strictly better solutions are of interest: the incumbent is already known.
    h.setOptionValue("objective_bound", incumbent_obj - tol + 1e-9 * max(1.0, incumbent_obj))
    _run_until(h, deadline, tick)
    status = h.getModelStatus()
    info = h.getInfo()
    if status == highspy.HighsModelStatus.kInfeasible:
        return None, incumbent_obj, True  # nothing strictly better exists
    bound = float(info.mip_dual_bound) if math.isfinite(info.mip_dual_bound) else -math.inf
    solution = None
    if info.primal_solution_status == 2 and math.isfinite(info.objective_function_value):
        values = np.asarray(h.getSolution().col_value[:n_y])
        picked = free[values > 0.5]
        sol = np.concatenate([opened, picked]).astype(np.int64)
        if sol.size == p:
            solution = sol
    proved = status in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kObjectiveBound)
    if proved and solution is None:
        bound = max(bound, incumbent_obj - tol)
    return solution, bound, proved


def _run_until(h: highspy.Highs, deadline: float, tick: Callable[[], None] | None = None) -> None:
    """Run HiGHS, interrupting it at ``deadline``.

    Its own time_limit is only checked between some steps; on a loaded machine presolve or a
    long root LP overran it by seconds, so a timer also asks it to stop via the interrupt
    callbacks (checked every simplex iteration).
    """
    h.HandleUserInterrupt = True
    timer = threading.Timer(max(0.0, deadline - perf_counter()), h.cancelSolve)
    timer.daemon = True
    timer.start()
    try:
        h.startSolve()
        # Wait in slices so that `tick` (progress) runs on this thread, which owns the
        # database connection, while HiGHS solves on its own.
        while not h.wait(0.25)[0]:
            if tick:
                tick()
    except BaseException:
        h.cancelSolve()
        h.joinSolve()
        raise
    finally:
        timer.cancel()


_banner_lock = threading.Lock()
_banner_done = False


def _new_highs() -> highspy.Highs:
    """A silent HiGHS instance.

    HiGHS writes its copyright banner straight to file descriptor 1 the first time an
    instance is created in a process, before any option can silence it; that would corrupt
    machine-read stdout (the benchmark prints JSON), so the first creation runs with fd 1
    pointed at /dev/null.
    """
    import highspy

    global _banner_done
    with _banner_lock:
        if _banner_done:
            h = highspy.Highs()
        else:
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                with open(os.devnull, "w") as null:
                    os.dup2(null.fileno(), 1)
                    h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _banner_done = True
    h.silent()
    return h


# --------------------------------------------------------------------------------------------
# capacitated facility location
# --------------------------------------------------------------------------------------------


def solve_capacitated(
    distance: np.ndarray,
    *,
    demand: np.ndarray,
    capacity: np.ndarray,
    fixed_cost: np.ndarray,
    cost_per_distance: float,
    p: int | None = None,
    open_required: Sequence[int] = (),
    single_sourcing: bool = False,
    time_limit: float = 10.0,
    progress: ProgressCallback | None = None,
) -> FacilitySolution:
    """Capacitated facility location as an exact MIP (HiGHS).

    Minimises sum(fixed_cost of open points) + cost_per_distance * sum(demand * distance),
    with the demand served by each point at most its capacity, optionally exactly ``p`` open
    points and some points forced open. Split sourcing by default (a client's demand may be
    shared between points); ``single_sourcing=True`` makes each client use one point.
    Raises :class:`InfeasiblePlacement` when no placement satisfies the constraints.
    """
    import highspy

    start = perf_counter()
    dist = np.asarray(distance, dtype=np.float64)
    if dist.ndim != 2:
        raise ValueError("distance must be a 2-d array (clients x candidates)")
    n_clients, n_cand = dist.shape
    dem = _vector(demand, n_clients, "demand")
    cap = _vector(capacity, n_cand, "capacity")
    fixed = _vector(fixed_cost, n_cand, "fixed_cost")
    if np.isnan(dist).any() or (dist < 0).any():
        raise ValueError("distance must be non-negative and not NaN")
    if not math.isfinite(cost_per_distance) or cost_per_distance < 0:
        raise ValueError("cost_per_distance must be finite and non-negative")
    required = sorted({int(r) for r in open_required})
    if any(r < 0 or r >= n_cand for r in required):
        raise ValueError(f"open_required indices must be in 0..{n_cand - 1}")
    report = _Reporter(progress, start, time_limit)
    _check_capacity_feasible(dist, dem, cap, p, required, single_sourcing)

    report(0.0, "building capacitated MIP")
    # Only arcs that can be used: finite distance and (single sourcing) capacity >= demand.
    usable = np.isfinite(dist) & (dem[:, None] > 0)
    if single_sourcing:
        usable &= cap[None, :] >= dem[:, None]
    cl, col = np.nonzero(usable)
    n_x = cl.size
    n_y = n_cand
    inf = highspy.kHighsInf

    # Rows: assignment per client with demand, capacity per candidate, arc links, cardinality.
    served = np.flatnonzero(dem > 0)
    client_row = np.full(n_clients, -1)
    client_row[served] = np.arange(served.size)
    r_assign = served.size
    r_cap0 = r_assign
    r_link0 = r_cap0 + n_cand
    r_card = r_link0 + n_x
    n_rows = r_card + (1 if p is not None else 0)

    y_rows = [[r_cap0 + k] for k in range(n_cand)]
    y_vals = [[-float(cap[k])] for k in range(n_cand)]
    for arc in range(n_x):
        y_rows[col[arc]].append(r_link0 + arc)
        y_vals[col[arc]].append(-1.0)
    if p is not None:
        for k in range(n_cand):
            y_rows[k].append(r_card)
            y_vals[k].append(1.0)
    starts, index, value = [0], [], []
    for k in range(n_cand):
        index.extend(y_rows[k])
        value.extend(y_vals[k])
        starts.append(len(index))
    x_index = np.stack([client_row[cl], r_cap0 + col, r_link0 + np.arange(n_x)], axis=1)
    x_value = np.stack([np.ones(n_x), dem[cl], np.ones(n_x)], axis=1)
    index_arr = np.concatenate([np.asarray(index, dtype=np.int64), x_index.reshape(-1)])
    value_arr = np.concatenate([np.asarray(value, dtype=np.float64), x_value.reshape(-1)])
    start_arr = np.concatenate([np.asarray(starts), starts[-1] + 3 * np.arange(1, n_x + 1)])

    y_lower = np.zeros(n_y)
    y_lower[required] = 1.0
    lp = highspy.HighsLp()
    lp.num_col_ = n_y + n_x
    lp.num_row_ = n_rows
    lp.col_cost_ = np.concatenate([fixed, cost_per_distance * dem[cl] * dist[cl, col]])
    lp.col_lower_ = np.concatenate([y_lower, np.zeros(n_x)])
    lp.col_upper_ = np.ones(n_y + n_x)
    row_lo = np.concatenate(
        [np.ones(r_assign), np.full(n_cand, -inf), np.full(n_x, -inf)]
        + ([[float(p)]] if p is not None else [])
    )
    row_hi = np.concatenate(
        [np.ones(r_assign), np.zeros(n_cand), np.zeros(n_x)]
        + ([[float(p)]] if p is not None else [])
    )
    lp.row_lower_, lp.row_upper_ = row_lo, row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = start_arr.astype(np.int32)
    lp.a_matrix_.index_ = index_arr.astype(np.int32)
    lp.a_matrix_.value_ = value_arr
    x_type = highspy.HighsVarType.kInteger if single_sourcing else highspy.HighsVarType.kContinuous
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_y + [x_type] * n_x

    h = _new_highs()
    h.setOptionValue("time_limit", max(0.1, float(time_limit) - (perf_counter() - start)))
    h.setOptionValue("mip_rel_gap", 1e-6)
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    report(0.1, f"solving MIP ({n_y} points, {n_x} arcs)")
    # HiGHS stops itself at time_limit; the deadline only catches an overrun.
    _run_until(h, start + float(time_limit) + 1.0, report.tick)
    status = h.getModelStatus()
    info = h.getInfo()
    if status in (
        highspy.HighsModelStatus.kInfeasible,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        raise InfeasiblePlacement(
            "no placement satisfies the constraints: the capacity of the allowed points cannot "
            "serve all demand (check capacities, p, required points and unreachable clients)"
        )
    if info.primal_solution_status != 2:
        raise PlacementError(
            f"no feasible placement found within {time_limit:g} s "
            f"(HiGHS status: {h.modelStatusToString(status)})"
        )
    values = np.asarray(h.getSolution().col_value)
    y = values[:n_y] > 0.5
    share = np.zeros((n_clients, n_cand))
    share[cl, col] = np.clip(values[n_y:], 0.0, 1.0)
    if single_sourcing:
        share = np.round(share)
    share[:, ~y] = 0.0
    sums = share.sum(axis=1, keepdims=True)
    np.divide(share, sums, out=share, where=sums > 0)  # remove solver round-off
    fixed_total = float(fixed[y].sum())
    transport = float(
        cost_per_distance * np.nansum(np.where(share > 0, dist, 0.0) * share * dem[:, None])
    )
    optimal = status == highspy.HighsModelStatus.kOptimal
    bound = float(info.mip_dual_bound) if math.isfinite(info.mip_dual_bound) else None
    report(1.0, f"done: {fixed_total + transport:g}")
    return FacilitySolution(
        open=[int(k) for k in np.flatnonzero(y)],
        objective=fixed_total + transport,
        fixed_cost=fixed_total,
        transport_cost=transport,
        allocation=share,
        assignment=np.where(sums[:, 0] > 0, np.argmax(share, axis=1), -1).astype(np.int64),
        load=(share * dem[:, None]).sum(axis=0),
        optimal=bool(optimal),
        lower_bound=bound,
        seconds=perf_counter() - start,
        method="mip-highs" + ("-single" if single_sourcing else "-split"),
    )


def _vector(values: np.ndarray, size: int, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    if arr.shape[0] != size:
        raise ValueError(f"{name} must have {size} entries, got {arr.shape[0]}")
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError(f"{name} must be finite and non-negative")
    return arr


def _check_capacity_feasible(
    dist: np.ndarray,
    dem: np.ndarray,
    cap: np.ndarray,
    p: int | None,
    required: list[int],
    single_sourcing: bool,
) -> None:
    """Raise InfeasiblePlacement with a specific reason for the obvious infeasible cases."""
    n_cand = cap.size
    total = float(dem.sum())
    if p is not None:
        if p < 0 or p > n_cand:
            raise InfeasiblePlacement(f"p={p} but there are {n_cand} candidate points")
        if p < len(required):
            raise InfeasiblePlacement(f"p={p} is fewer than the {len(required)} required points")
        others = np.delete(cap, required)
        best_cap = float(cap[required].sum() + np.sort(others)[::-1][: p - len(required)].sum())
        if best_cap < total - 1e-9 * max(1.0, total):
            raise InfeasiblePlacement(
                f"the {p} largest allowed points hold {best_cap:g} but total demand is {total:g}"
            )
    if float(cap.sum()) < total - 1e-9 * max(1.0, total):
        raise InfeasiblePlacement(
            f"total capacity {float(cap.sum()):g} is less than total demand {total:g}"
        )
    reach = np.isfinite(dist) & (cap[None, :] > 0)
    if single_sourcing:
        reach &= cap[None, :] >= dem[:, None]
    stranded = np.flatnonzero((dem > 0) & ~reach.any(axis=1))
    if stranded.size:
        raise InfeasiblePlacement(
            f"client(s) {stranded[:10].tolist()} cannot be served by any point"
            + (" with enough capacity for single sourcing" if single_sourcing else "")
        )
