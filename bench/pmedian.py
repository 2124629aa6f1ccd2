"""Benchmark ``solve_pmedian`` on the OR-Library p-median instances.

python -m bench.pmedian FILE [--time-limit S]        # one instance, one JSON object
python -m bench.pmedian --all DIR [--time-limit S]   # every pmedN.txt in DIR
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import sys
from pathlib import Path

from merchant.placement.orlib import load_optimal_values, load_orlib_pmedian
from merchant.placement.pmedian import solve_pmedian

RESULTS = Path(__file__).resolve().parent / "results" / "pmedian.json"


def run_instance(path: Path, time_limit: float) -> dict:
    """Solve one instance with the application's solver and return its JSON record."""
    distance, p = load_orlib_pmedian(path)
    solution = solve_pmedian(distance, p, time_limit=time_limit)
    return {
        "instance": path.stem,
        "p": p,
        "objective": _number(solution.objective),
        "medians": solution.medians,
        "seconds": round(solution.seconds, 3),
        "optimal": solution.optimal,
        "method": solution.method,
    }


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _natural_key(path: Path) -> list[int | str]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def run_all(directory: Path, time_limit: float) -> dict:
    """Solve every pmedN.txt in ``directory``, print a line each and write the results file."""
    files = sorted(
        (f for f in directory.iterdir() if re.fullmatch(r"pmed\d+\.txt", f.name)),
        key=_natural_key,
    )
    opt_file = directory / "pmedopt.txt"
    optimum = load_optimal_values(opt_file) if opt_file.exists() else {}
    rows = []
    for path in files:
        record = run_instance(path, time_limit)
        best = optimum.get(record["instance"])
        gap = None if best is None else 100.0 * (record["objective"] - best) / best
        row = {
            "instance": record["instance"],
            "p": record["p"],
            "objective": record["objective"],
            "optimum": best,
            "gap_percent": None if gap is None else round(gap, 6),
            "seconds": record["seconds"],
            "proved_optimal": record["optimal"],
            "method": record["method"],
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    gaps = [r["gap_percent"] for r in rows if r["gap_percent"] is not None]
    summary = {
        "instances": len(rows),
        "optimal_count": sum(1 for g in gaps if g <= 1e-9),
        "proved_optimal_count": sum(1 for r in rows if r["proved_optimal"]),
        "mean_gap_percent": round(sum(gaps) / len(gaps), 6) if gaps else None,
        "max_gap_percent": round(max(gaps), 6) if gaps else None,
        "max_seconds": round(max((r["seconds"] for r in rows), default=0.0), 3),
        "total_seconds": round(sum(r["seconds"] for r in rows), 3),
        "time_limit": time_limit,
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": sys.version.split()[0],
        },
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"summary": summary, "instances": rows}, indent=2) + "\n")
    print(json.dumps({"summary": summary}), flush=True)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, help="one pmedN.txt instance")
    parser.add_argument("--all", type=Path, metavar="DIR", help="run every pmedN.txt in DIR")
    parser.add_argument("--time-limit", type=float, default=10.0, metavar="S")
    args = parser.parse_args(argv)
    if (args.file is None) == (args.all is None):
        parser.error("give exactly one of FILE or --all DIR")
    if args.all is not None:
        run_all(args.all, args.time_limit)
    else:
        print(json.dumps(run_instance(args.file, args.time_limit)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
