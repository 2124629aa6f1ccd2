"""Solomon VRPTW benchmark of the own-fleet planner (#16).

    python -m bench.vrptw FILE --time-limit 10          # one instance, JSON last line
    python -m bench.vrptw --all DIR --time-limit 10     # every instance in DIR: ours vs plain VROOM

The instance is planned with the same code that plans real routes (fulfillment.fleet.planning
.solver.solve): customers become jobs, the fleet is NUMBER identical vehicles at the depot, and a
matrix source answers the Euclidean distance truncated to one decimal (as the proven optima are),
so the objective (per km, nothing per hour) is the distance alone. One Solomon time unit is 60 s.
Every plan is re-checked here, apart from the solver: each customer once, windows, capacity,
return to the depot by its due date, at most NUMBER vehicles; and by the independent checker.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fulfillment.fleet.planning.types import Place, PlanningProblem

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 1, 5, tzinfo=UTC)
UNIT_S = 60  # one Solomon time unit


@dataclass
class Instance:
    name: str
    vehicles: int
    capacity: int
    rows: list[tuple[int, float, float, int, int, int, int]]  # id x y demand ready due service


def read_solomon(path: Path) -> Instance:
    lines = [ln.strip() for ln in path.read_text().splitlines()]
    name = next(ln for ln in lines if ln)
    vehicles = capacity = 0
    rows = []
    for i, ln in enumerate(lines):
        if ln.upper().startswith("NUMBER"):
            vehicles, capacity = (int(x) for x in lines[i + 1].split()[:2])
        parts = ln.split()
        if len(parts) == 7 and all(p.lstrip("-").replace(".", "", 1).isdigit() for p in parts):
            cid, x, y, d, a, b, s = parts
            rows.append((int(cid), float(x), float(y), int(d), int(a), int(b), int(s)))
    if not rows or rows[0][0] != 0 or not vehicles:
        raise SystemExit(f"{path}: not a Solomon instance")
    return Instance(name, vehicles, capacity, rows)


def tenths(a: tuple[float, float], b: tuple[float, float]) -> int:
    """floor(10 * Euclidean distance): the arc truncated to one decimal, in tenths."""
    return math.floor(10 * math.hypot(a[0] - b[0], a[1] - b[1]))


class EuclideanSource:
    """Solomon's plane behind the Place interface: each customer is a made-up Place (a valid
    latitude/longitude, unique per customer) mapped to its exact (x, y); seconds = truncated
    distance x 60 s per unit, metres = truncated distance x 1000."""

    name = "euclidean"

    def __init__(self) -> None:
        self.xy: dict = {}

    def place(self, cid: int, x: float, y: float) -> Place:
        from fulfillment.fleet.planning.types import Place

        p = Place(cid / 1000, 0.0)
        self.xy[p] = (x, y)
        return p

    def matrix(
        self, places: list, *, vehicle_kind: str, depart_at: datetime
    ) -> tuple[list[list[int]], list[list[int]]]:
        pts = [self.xy[p] for p in places]
        t = [[tenths(a, b) for b in pts] for a in pts]
        return [[v * UNIT_S // 10 for v in row] for row in t], [[v * 100 for v in row] for row in t]


def problem_of(inst: Instance, source: EuclideanSource) -> PlanningProblem:
    from fulfillment.fleet.planning.types import PlanJob, PlanningProblem, PlanVehicle

    _, x0, y0, _, a0, b0, _ = inst.rows[0]
    depot = source.place(0, x0, y0)
    vehicles = [
        PlanVehicle(
            key=str(k + 1),
            kind="car",
            start=depot,
            end=depot,
            shift_start=T0 + timedelta(seconds=a0 * UNIT_S),
            shift_end=T0 + timedelta(seconds=b0 * UNIT_S),
            capacity=(inst.capacity, 10**9, 10**9),
            per_km_minor=1,
        )
        for k in range(inst.vehicles)
    ]
    jobs = [
        PlanJob(
            key=str(cid),
            place=source.place(cid, x, y),
            window=(T0 + timedelta(seconds=a * UNIT_S), T0 + timedelta(seconds=b * UNIT_S)),
            service_seconds=s * UNIT_S,
            demand=(d, 0, 0),
        )
        for cid, x, y, d, a, b, s in inst.rows[1:]
    ]
    return PlanningProblem(vehicles=vehicles, jobs=jobs, depart_at=T0)


def verify(inst: Instance, routes: list[list[int]]) -> tuple[float, list[str]]:
    """Distance (truncated arcs) and the broken rules, in Solomon's own units."""
    errors = []
    by_id = {r[0]: r for r in inst.rows}
    depot = inst.rows[0]
    served = [c for r in routes for c in r]
    if sorted(served) != sorted(by_id)[1:]:
        errors.append("not every customer served exactly once")
    if len(routes) > inst.vehicles:
        errors.append(f"{len(routes)} routes > {inst.vehicles} vehicles")
    total = 0
    for route in routes:
        t10 = depot[4] * 10  # time in tenths
        here = depot
        load = 0
        for cid in route:
            c = by_id[cid]
            arc = tenths(here[1:3], c[1:3])
            total += arc
            t10 = max(t10 + arc, c[4] * 10)
            if t10 > c[5] * 10:
                errors.append(f"customer {cid} served after its due date")
            t10 += c[6] * 10
            load += c[3]
            here = c
        arc = tenths(here[1:3], depot[1:3])
        total += arc
        if t10 + arc > depot[5] * 10:
            errors.append("a vehicle is back after the depot closes")
        if load > inst.capacity:
            errors.append(f"a route carries {load} > {inst.capacity}")
    return total / 10, errors


def run(inst: Instance, time_limit: float, *, improve: bool = True, seed: int = 0) -> dict:
    from fulfillment.fleet.planning.checker import check_solution
    from fulfillment.fleet.planning.solver import solve

    source = EuclideanSource()
    problem = problem_of(inst, source)
    began = time.monotonic()
    solution = solve(problem, time_limit_s=time_limit, matrix=source, improve=improve, seed=seed)
    seconds = time.monotonic() - began
    routes = [[int(s.job_key) for s in r.stops] for r in solution.routes if r.stops]
    distance, errors = verify(inst, routes)
    errors += check_solution(problem, solution, source)
    return {
        "instance": inst.name,
        "distance": distance,
        "vehicles": len(routes),
        "routes": routes,
        "seconds": round(seconds, 2),
        "unassigned": len(solution.unassigned),
        "errors": errors,
    }


def optima(directory: Path) -> dict[str, float]:
    path = directory / "optima.csv"
    if not path.exists():
        return {}
    with path.open() as fh:
        return {
            row["instance"]: float(row["optimal_distance_trunc1"]) for row in csv.DictReader(fh)
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", type=Path)
    parser.add_argument("--all", type=Path, metavar="DIR", help="every instance of DIR")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "vrptw.json")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if args.all:
        return run_all(args.all, args.time_limit, args.seed, args.out)
    if not args.file:
        parser.error("give FILE or --all DIR")
    result = run(read_solomon(args.file), args.time_limit, seed=args.seed)
    for e in result["errors"]:
        print("ERROR", e, file=sys.stderr)
    out = {k: result[k] for k in ("instance", "distance", "vehicles", "routes", "seconds")}
    print(json.dumps(out))
    return 1 if result["errors"] else 0


def run_all(directory: Path, time_limit: float, seed: int, out: Path) -> int:
    best = optima(directory)
    files = sorted(p for p in directory.glob("*.txt"))
    rows = []
    print(f"{'instance':10} {'optimum':>9} {'ours':>9} {'gap':>7} {'vroom':>9} {'gap':>7}  load")
    for path in files:
        inst = read_solomon(path)
        load_before = os.getloadavg()[0]
        vroom_only = run(inst, time_limit, improve=False, seed=seed)
        ours = run(inst, time_limit, seed=seed)
        opt = best.get(inst.name)

        def gap(d: float, opt: float | None = opt) -> float | None:
            return round(100 * (d - opt) / opt, 2) if opt else None

        row = {
            "instance": inst.name,
            "optimum": opt,
            "distance": ours["distance"],
            "vehicles": ours["vehicles"],
            "gap_pct": gap(ours["distance"]),
            "seconds": ours["seconds"],
            "vroom_distance": vroom_only["distance"],
            "vroom_vehicles": vroom_only["vehicles"],
            "vroom_gap_pct": gap(vroom_only["distance"]),
            "vroom_seconds": vroom_only["seconds"],
            "errors": ours["errors"] + [f"vroom: {e}" for e in vroom_only["errors"]],
            "load_average_1m": round((load_before + os.getloadavg()[0]) / 2, 2),
        }
        rows.append(row)
        print(
            f"{inst.name:10} {opt or 0:9.1f} {ours['distance']:9.1f} {row['gap_pct'] or 0:6.2f}% "
            f"{vroom_only['distance']:9.1f} {row['vroom_gap_pct'] or 0:6.2f}%  "
            f"{row['load_average_1m']}"
            + ("  ERRORS: " + "; ".join(row["errors"]) if row["errors"] else ""),
            flush=True,
        )
    gaps = [r["gap_pct"] for r in rows if r["gap_pct"] is not None]
    vgaps = [r["vroom_gap_pct"] for r in rows if r["vroom_gap_pct"] is not None]
    summary = {
        "bench": "vrptw",
        "time_limit_s": time_limit,
        "cores": os.cpu_count(),
        "instances": rows,
        "mean_gap_pct": round(sum(gaps) / len(gaps), 3) if gaps else None,
        "max_gap_pct": max(gaps) if gaps else None,
        "vroom_mean_gap_pct": round(sum(vgaps) / len(vgaps), 3) if vgaps else None,
        "vroom_max_gap_pct": max(vgaps) if vgaps else None,
        "all_valid": all(not r["errors"] for r in rows),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(
        f"mean gap {summary['mean_gap_pct']}% (max {summary['max_gap_pct']}%), plain VROOM "
        f"{summary['vroom_mean_gap_pct']}% (max {summary['vroom_max_gap_pct']}%); written {out}"
    )
    print(json.dumps({k: v for k, v in summary.items() if k != "instances"}))
    return 0 if summary["all_valid"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
