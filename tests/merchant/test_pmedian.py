"""Tests for the pure-numpy facility-location solvers (no database needed)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from merchant.placement.orlib import load_optimal_values, load_orlib_pmedian
from merchant.placement.pmedian import (
    InfeasiblePlacement,
    solve_capacitated,
    solve_pmedian,
)

ORLIB = Path(__file__).resolve().parents[1] / "fixtures" / "pmed_orlib"  # pmed1 and the optima


def _points(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 100, size=(n, 2))
    return np.round(np.linalg.norm(pts[:, None, :] - pts[None, :, :], axis=2))


def _brute_force(distance: np.ndarray, p: int, weights: np.ndarray | None = None) -> float:
    w = np.ones(distance.shape[0]) if weights is None else weights
    return min(
        float((w * distance[:, list(combo)].min(axis=1)).sum())
        for combo in itertools.combinations(range(distance.shape[1]), p)
    )


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_small_instance_matches_brute_force(seed: int) -> None:
    distance = _points(12, seed)
    solution = solve_pmedian(distance, 3, time_limit=5)
    assert solution.objective == pytest.approx(_brute_force(distance, 3))
    assert solution.medians == sorted(solution.medians) and len(solution.medians) == 3
    assert solution.optimal
    assert solution.lower_bound == pytest.approx(solution.objective)
    # assignment sends every client to its nearest open median
    nearest = distance[:, solution.medians].min(axis=1)
    assert np.array_equal(distance[np.arange(12), solution.assignment], nearest)


def test_rectangular_matrix_and_progress() -> None:
    rng = np.random.default_rng(7)
    distance = rng.integers(1, 50, size=(15, 9)).astype(float)
    calls: list[tuple[float, str]] = []
    solution = solve_pmedian(distance, 2, progress=lambda f, m: calls.append((f, m)))
    assert solution.objective == pytest.approx(_brute_force(distance, 2))
    assert all(0 <= m < 9 for m in solution.medians)
    assert calls and calls[-1][0] == 1.0
    assert all(0.0 <= f <= 1.0 for f, _ in calls)


def test_weights_are_respected() -> None:
    # Two clusters; one heavy client far away pulls the single median to itself.
    distance = _points(10, 11)
    weights = np.ones(10)
    unweighted = solve_pmedian(distance, 1)
    heavy = int(np.argmax(distance[:, unweighted.medians[0]]))
    weights[heavy] = 1000.0
    weighted = solve_pmedian(distance, 1, weights=weights)
    assert weighted.medians == [heavy]
    assert weighted.objective == pytest.approx(_brute_force(distance, 1, weights))
    assert weighted.objective == pytest.approx(float((weights * distance[:, heavy]).sum()))


def test_weighted_brute_force_p3() -> None:
    distance = _points(12, 5)
    weights = np.random.default_rng(5).uniform(0.5, 3.0, size=12)
    solution = solve_pmedian(distance, 3, weights=weights, time_limit=5)
    assert solution.objective == pytest.approx(_brute_force(distance, 3, weights))


def test_pmed1_reaches_known_optimum() -> None:
    distance, p = load_orlib_pmedian(ORLIB / "pmed1.txt")
    assert distance.shape == (100, 100) and p == 5
    optimum = load_optimal_values(ORLIB / "pmedopt.txt")["pmed1"]
    assert optimum == 5819
    solution = solve_pmedian(distance, p, time_limit=10)
    assert solution.objective == optimum
    assert len(solution.medians) == p
    # Speed is measured in bench/pmedian.py, not asserted here (a shared machine is slow).
    assert solution.lower_bound is None or solution.lower_bound <= optimum + 1e-6


def test_orlib_loader_keeps_last_cost_of_repeated_edge(tmp_path: Path) -> None:
    instance = tmp_path / "tiny.txt"
    # Edge 1-2 is given three times (5, then 1 reversed, then 9): the last one, 9, wins.
    instance.write_text("3 5 1\n1 2 5\n2 3 4\n2 1 1\n1 3 20\n1 2 9\n")
    distance, p = load_orlib_pmedian(instance)
    assert p == 1
    assert distance[0, 1] == distance[1, 0] == 9  # not min (1) nor sum (15)
    assert distance[0, 2] == 13  # 1-2-3 = 9 + 4 beats the direct 20
    assert np.array_equal(distance, distance.T)


def test_load_optimal_values(tmp_path: Path) -> None:
    path = tmp_path / "opt.txt"
    path.write_text("Data file   Optimal solution value\npmed1 5819\npmed2 4093\n")
    assert load_optimal_values(path) == {"pmed1": 5819, "pmed2": 4093}


# ---- capacitated -------------------------------------------------------------------------


def _line() -> np.ndarray:
    # Four clients on a line at 0, 1, 10, 11; candidates at 0 and 11.
    clients = np.array([0.0, 1.0, 10.0, 11.0])
    return np.abs(clients[:, None] - np.array([0.0, 11.0])[None, :])


def test_capacity_forces_second_point_open() -> None:
    distance = np.abs(np.array([0.0, 1.0, 2.0, 3.0])[:, None] - np.array([0.0, 3.0])[None, :])
    demand = np.array([5.0, 5.0, 5.0, 5.0])
    roomy = solve_capacitated(
        distance,
        demand=demand,
        capacity=np.array([100.0, 100.0]),
        fixed_cost=np.array([10.0, 10.0]),
        cost_per_distance=0.1,
    )
    assert roomy.open == [0] or roomy.open == [1]  # one point is cheapest when it fits
    tight = solve_capacitated(
        distance,
        demand=demand,
        capacity=np.array([12.0, 12.0]),
        fixed_cost=np.array([10.0, 10.0]),
        cost_per_distance=0.1,
    )
    assert tight.open == [0, 1]
    assert np.all(tight.load <= 12.0 + 1e-6)
    assert tight.load.sum() == pytest.approx(20.0)
    assert tight.optimal


def test_fixed_cost_keeps_expensive_point_closed() -> None:
    solution = solve_capacitated(
        _line(),
        demand=np.ones(4),
        capacity=np.array([10.0, 10.0]),
        fixed_cost=np.array([1.0, 1000.0]),
        cost_per_distance=1.0,
    )
    assert solution.open == [0]
    assert solution.objective == pytest.approx(1.0 + 0 + 1 + 10 + 11)
    assert solution.fixed_cost == pytest.approx(1.0)
    assert np.array_equal(solution.assignment, [0, 0, 0, 0])


def test_exact_p_and_required_points() -> None:
    solution = solve_capacitated(
        _line(),
        demand=np.ones(4),
        capacity=np.array([10.0, 10.0]),
        fixed_cost=np.array([1.0, 1000.0]),
        cost_per_distance=1.0,
        p=2,
    )
    assert solution.open == [0, 1]
    assert solution.transport_cost == pytest.approx(2.0)
    forced = solve_capacitated(
        _line(),
        demand=np.ones(4),
        capacity=np.array([10.0, 10.0]),
        fixed_cost=np.array([1.0, 1000.0]),
        cost_per_distance=1.0,
        open_required=[1],
    )
    assert 1 in forced.open


def test_single_sourcing_does_not_split() -> None:
    distance = np.array([[1.0, 2.0], [1.0, 2.0]])
    solution = solve_capacitated(
        distance,
        demand=np.array([6.0, 6.0]),
        capacity=np.array([9.0, 9.0]),
        fixed_cost=np.zeros(2),
        cost_per_distance=1.0,
        single_sourcing=True,
    )
    assert set(np.unique(solution.allocation)) <= {0.0, 1.0}
    assert solution.open == [0, 1]


def test_infeasible_capacity_raises() -> None:
    with pytest.raises(InfeasiblePlacement, match="total capacity"):
        solve_capacitated(
            _line(),
            demand=np.full(4, 10.0),
            capacity=np.array([10.0, 10.0]),
            fixed_cost=np.ones(2),
            cost_per_distance=1.0,
        )
    with pytest.raises(InfeasiblePlacement):
        solve_capacitated(
            _line(),
            demand=np.full(4, 4.0),
            capacity=np.array([10.0, 10.0]),
            fixed_cost=np.ones(2),
            cost_per_distance=1.0,
            p=1,
        )


def test_single_sourcing_packing_infeasible_raises() -> None:
    # Total capacity 18 covers total demand 18, but three 6s do not pack into two 9s.
    with pytest.raises(InfeasiblePlacement, match="no placement"):
        solve_capacitated(
            np.ones((3, 2)),
            demand=np.full(3, 6.0),
            capacity=np.array([9.0, 9.0]),
            fixed_cost=np.zeros(2),
            cost_per_distance=1.0,
            single_sourcing=True,
        )


def test_unreachable_pairs_are_avoided() -> None:
    distance = np.array([[0.0, np.inf, 5.0], [np.inf, 0.0, 5.0], [3.0, 3.0, 0.0]])
    solution = solve_pmedian(distance, 2)
    assert np.isfinite(solution.objective)
    assert solution.objective == pytest.approx(
        _brute_force(np.where(np.isinf(distance), 1e9, distance), 2)
    )
