"""Readers for the OR-Library uncapacitated p-median instances (pmed1..pmed40)."""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path

import numpy as np


def load_orlib_pmedian(path: str | PathLike[str]) -> tuple[np.ndarray, int]:
    """Return ``(distance, p)`` for an OR-Library ``pmedN.txt`` file.

    The file holds ``n m p`` then ``m`` lines ``i j cost`` (1-based, undirected). A repeated
    edge keeps the LAST cost given (the OR-Library convention; taking the minimum or summing
    the duplicates gives different optima), then Floyd-Warshall gives all-pairs distances.
    """
    tokens = Path(path).read_text().split()
    if len(tokens) < 3:
        raise ValueError(f"{path}: missing the 'n m p' header")
    n, m, p = (int(t) for t in tokens[:3])
    values = np.asarray(tokens[3 : 3 + 3 * m], dtype=np.float64)
    if values.size != 3 * m:
        raise ValueError(f"{path}: expected {m} edges, found {values.size // 3}")
    edges = values.reshape(m, 3)
    i = edges[:, 0].astype(np.int64) - 1
    j = edges[:, 1].astype(np.int64) - 1
    if i.min(initial=0) < 0 or j.min(initial=0) < 0 or max(i.max(initial=0), j.max(initial=0)) >= n:
        raise ValueError(f"{path}: vertex index out of range 1..{n}")

    # Keyed on the unordered pair, so "3 7 10" followed by "7 3 12" also keeps 12.
    last_cost: dict[tuple[int, int], float] = {}
    for a, b, cost in zip(i.tolist(), j.tolist(), edges[:, 2].tolist(), strict=True):
        last_cost[(a, b) if a <= b else (b, a)] = cost

    dist = np.full((n, n), np.inf)
    if last_cost:
        pairs = np.array(list(last_cost), dtype=np.int64)
        costs = np.array(list(last_cost.values()))
        dist[pairs[:, 0], pairs[:, 1]] = costs
        dist[pairs[:, 1], pairs[:, 0]] = costs
    np.fill_diagonal(dist, 0.0)
    _floyd_warshall(dist)
    return dist, p


def _floyd_warshall(dist: np.ndarray) -> None:
    """All-pairs shortest paths in place (O(n^3) but vectorised: fine up to n ~ 1000)."""
    for k in range(dist.shape[0]):
        np.minimum(dist, dist[:, k, None] + dist[None, k, :], out=dist)


def load_optimal_values(path: str | PathLike[str]) -> dict[str, int]:
    """Parse ``pmedopt.txt`` into ``{"pmed1": 5819, ...}`` (header lines are skipped)."""
    result: dict[str, int] = {}
    for line in Path(path).read_text().splitlines():
        match = re.match(r"\s*(pmed\d+)\s+(-?\d+)\s*$", line)
        if match:
            result[match.group(1)] = int(match.group(2))
    return result
