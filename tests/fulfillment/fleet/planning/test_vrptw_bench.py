"""bench.vrptw on a cut-down Solomon instance: the JSON last line, every customer served inside
its window, the --all table against an optimum, and the bench's own check catching bad routes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench import vrptw

SOLOMON = Path(__file__).resolve().parents[5] / "shared" / "data" / "solomon"


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """R101 with its first 25 customers (the usual R101.25 cut) in a folder of its own."""
    source = SOLOMON / "R101.txt"
    if not source.exists():
        pytest.skip("the shared Solomon instances are not on this machine")
    lines = source.read_text().splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.split()[:1] == ["0"])
    folder = tmp_path / "solomon"
    folder.mkdir()
    (folder / "R101.txt").write_text("\n".join(lines[: head + 26]) + "\n")
    (folder / "optima.csv").write_text("instance,optimal_distance_trunc1\nR101,617.1\n")
    return folder


def test_one_instance_prints_json_with_every_customer_served(small, capsys):
    assert vrptw.main([str(small / "R101.txt"), "--time-limit", "1.5"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(result) == {"instance", "distance", "vehicles", "routes", "seconds"}
    assert sorted(c for r in result["routes"] for c in r) == list(range(1, 26))
    assert result["vehicles"] == len(result["routes"]) <= 25
    inst = vrptw.read_solomon(small / "R101.txt")
    distance, errors = vrptw.verify(inst, result["routes"])
    assert errors == [] and distance == result["distance"]
    assert distance >= 617.1  # never below the proven optimum of R101.25


def test_all_mode_compares_with_plain_vroom_and_writes_results(small, tmp_path, capsys):
    out = tmp_path / "vrptw.json"
    assert vrptw.main(["--all", str(small), "--time-limit", "1.5", "--out", str(out)]) == 0
    summary = json.loads(out.read_text())
    (row,) = summary["instances"]
    assert row["instance"] == "R101" and row["errors"] == []
    assert row["gap_pct"] is not None and row["vroom_gap_pct"] is not None
    assert row["distance"] <= row["vroom_distance"] + 1e-9  # at least as good as VROOM alone
    assert "load_average_1m" in row and summary["all_valid"] is True
    assert "plain VROOM" in capsys.readouterr().out


def test_the_bench_check_catches_broken_routes(small):
    inst = vrptw.read_solomon(small / "R101.txt")
    _distance, errors = vrptw.verify(inst, [list(range(25, 0, -1))])
    assert any("after its due date" in e for e in errors)
    _distance, errors = vrptw.verify(inst, [[1, 2], [2, 3]])
    assert "not every customer served exactly once" in errors
    shutil.rmtree(small)


def test_any_plane_coordinates_plan_every_customer():
    """Solomon coordinates are not latitudes: a customer at (95, 200) is planned like any other."""
    rows = [(0, 40.0, 50.0, 0, 0, 1000, 0), (1, 95.0, 200.0, 10, 0, 1000, 10)]
    rows += [(2, -30.0, 120.5, 10, 0, 1000, 10), (3, 41.0, 52.0, 10, 0, 1000, 10)]
    inst = vrptw.Instance("PLANE", 2, 100, rows)
    result = vrptw.run(inst, 0.5)
    assert result["errors"] == [] and result["unassigned"] == 0
    assert sorted(c for r in result["routes"] for c in r) == [1, 2, 3]
