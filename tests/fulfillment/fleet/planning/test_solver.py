"""The planner on small real-shaped problems: reasons for jobs that cannot go, skills, several
hubs, breaks, capacities, check_route; every plan re-checked by the independent checker, on
random instances too (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from devtools.fake_routing import running
from fulfillment.fleet.planning.checker import check_solution
from fulfillment.fleet.planning.matrix import OfflineModel, OsrmSource, ValhallaSource
from fulfillment.fleet.planning.solver import check_route, solve
from fulfillment.fleet.planning.types import Place, PlanJob, PlanningProblem, PlanVehicle

T = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # 09:00 in Chicago
WICKER_PARK = Place(41.9088, -87.6776)
PILSEN = Place(41.8565, -87.6565)
H = timedelta(hours=1)
OFFLINE = OfflineModel(
    circuity=1.3, speeds={k: {"kmh": 20.0, "hours": {}} for k in ("car", "van", "cargo_bike")}
)


def vehicle(
    key: str,
    *,
    start: Place = WICKER_PARK,
    kind: str = "car",
    cap=(30, 100_000, 10**6),
    skills=(),
    breaks=(),
    hours: float = 8,
) -> PlanVehicle:
    return PlanVehicle(
        key=key,
        kind=kind,
        start=start,
        end=start,
        shift_start=T,
        shift_end=T + hours * H,
        capacity=cap,
        skills=frozenset(skills),
        breaks=list(breaks),
        per_hour_minor=2000,
        per_km_minor=40,
    )


def job(
    key: str, place: Place, *, window=(0, 8), demand=(1, 1000, 2000), skills=(), service=240
) -> PlanJob:
    return PlanJob(
        key=key,
        place=place,
        window=None if window is None else (T + window[0] * H, T + window[1] * H),
        service_seconds=service,
        demand=demand,
        skills=frozenset(skills),
    )


def near(base: Place, i: int, spread: float = 0.01) -> Place:
    return Place(
        base.latitude + spread * ((i * 7) % 11 - 5) / 5,
        base.longitude + spread * ((i * 5) % 13 - 6) / 6,
    )


def planned(problem: PlanningProblem, seconds: float = 1.0):
    solution = solve(problem, time_limit_s=seconds, matrix=OFFLINE)
    assert check_solution(problem, solution, OFFLINE) == []
    return solution


def test_jobs_that_cannot_go_are_listed_with_their_reason():
    far = Place(42.60, -87.90)  # ~80 km north
    problem = PlanningProblem(
        vehicles=[vehicle("bike", kind="cargo_bike", cap=(40, 60_000, 400_000), hours=4)],
        jobs=[
            job("ok", near(WICKER_PARK, 1)),
            job("wine", near(WICKER_PARK, 2), skills={"age_check"}),
            job("sofa", near(WICKER_PARK, 3), demand=(1, 90_000, 2000)),
            job("closed", near(WICKER_PARK, 4), window=(-3, -1)),
            job("far", far, window=(0, 1)),
            job("late", near(WICKER_PARK, 5, 0.2), window=(3.9, 6)),
            job("big1", near(WICKER_PARK, 6), demand=(30, 1000, 1000)),
            job("big2", near(WICKER_PARK, 7), demand=(30, 1000, 1000)),
            job("nowhere", Place(float("nan"), -87.6)),
        ],
        depart_at=T,
    )
    solution = planned(problem)
    reasons = solution.unassigned
    assert reasons["wine"] == "no vehicle has the skills it needs (age_check)"
    assert reasons["sofa"].startswith("too big for every vehicle")
    assert reasons["closed"] == "its delivery window closed before the wave leaves"
    assert reasons["far"] == "no driver can reach it inside its delivery window"
    assert reasons["late"].startswith("outside every shift")
    assert reasons["nowhere"] == "its address has no usable position (not geocoded)"
    assert len([k for k in ("big1", "big2") if k in reasons]) == 1
    assert "no room" in reasons.get("big1", reasons.get("big2"))
    assert [s.job_key for r in solution.routes for s in r.stops].count("ok") == 1
    assert solution.matrix_source == "offline"


def test_skills_and_several_hubs_and_windows():
    vehicles = [vehicle("north"), vehicle("south", start=PILSEN, skills={"age_check"})]
    jobs = [job(f"n{i}", near(WICKER_PARK, i), window=(i % 3 * 2, i % 3 * 2 + 2)) for i in range(8)]
    jobs += [job(f"s{i}", near(PILSEN, i), window=(i % 3 * 2, i % 3 * 2 + 2)) for i in range(8)]
    jobs.append(job("wine", near(WICKER_PARK, 9), skills={"age_check"}))
    solution = planned(PlanningProblem(vehicles, jobs, depart_at=T), seconds=2)
    by_vehicle = {r.vehicle_key: {s.job_key for s in r.stops} for r in solution.routes}
    assert solution.unassigned == {}
    assert "wine" in by_vehicle["south"]
    assert by_vehicle["north"] and len(by_vehicle["north"] | by_vehicle["south"]) == 17
    for route in solution.routes:
        assert route.depart >= T and route.back <= T + 8 * H
        assert route.distance_m > 0 and route.cost_minor > 0


def test_break_is_taken_inside_its_range_between_stops():
    brk = (T + 2 * H, T + 4 * H, 1800)
    jobs = [job(f"j{i}", near(WICKER_PARK, i, 0.03), window=(i % 4, i % 4 + 2)) for i in range(12)]
    solution = planned(PlanningProblem([vehicle("v", breaks=[brk])], jobs, depart_at=T))
    (route,) = solution.routes
    ((start, end),) = route.breaks
    assert brk[0] <= start and end <= brk[1] and end - start == timedelta(seconds=1800)
    for stop in route.stops:
        assert stop.departure <= start or stop.start >= end


def test_check_route_retimes_and_names_problems():
    jobs = [job(f"j{i}", near(WICKER_PARK, i, 0.03), window=(i, i + 1)) for i in range(4)]
    jobs.append(job("wine", near(WICKER_PARK, 8), skills={"age_check"}, window=None))
    problem = PlanningProblem([vehicle("v", cap=(3, 10**6, 10**7))], jobs, depart_at=T)
    ok = check_route(problem, "v", ["j0", "j1", "j2"], matrix=OFFLINE)
    assert ok.feasible and ok.problems == []
    assert [s.job_key for s in ok.stops] == ["j0", "j1", "j2"]
    assert ok.stops[1].start >= T + H and ok.stops[1].arrival <= ok.stops[1].start
    problem.jobs.append(job("nan", Place(float("nan"), float("inf"))))
    bad = check_route(
        problem, "v", ["j3", "j2", "j1", "j0", "wine", "nope", "j0", "nan"], matrix=OFFLINE
    )
    assert not bad.feasible
    text = " | ".join(bad.problems)
    assert "no stop nope in the plan" in text and "a stop is listed twice" in text
    assert "after its window closes" in text and "needs age_check" in text
    assert "too much parcels" in text and "stop nan has no usable position" in text
    # From the driver's position at 10:30: the ETA of the next stop counts from there.
    here = near(WICKER_PARK, 2, 0.03)
    live = check_route(
        problem, "v", ["j2", "j3"], start_at=T + 1.5 * H, start_place=here, matrix=OFFLINE
    )
    assert live.stops[0].arrival == T + 1.5 * H  # already at j2's door
    assert live.stops[0].start == T + 2 * H  # waits for the window
    assert live.feasible


def test_a_failing_routing_server_falls_back_to_the_offline_model_with_a_note():
    with running() as (url, server):
        server.mode = "error"
        vehicles = [vehicle("v"), vehicle("b", kind="cargo_bike"), vehicle("w", kind="van")]
        problem = PlanningProblem(vehicles, [job("a", near(WICKER_PARK, 1))], depart_at=T)
        solution = solve(problem, time_limit_s=0.5, matrix=OsrmSource(url))
        assert server.stats["osrm"] == 1  # asked once: not again for the other vehicle kinds
    assert solution.matrix_source == "offline"
    assert len(solution.notes) == 1 and "OSRM refused the table" in solution.notes[0]
    assert [s.job_key for r in solution.routes for s in r.stops] == ["a"]


@pytest.mark.parametrize("server", ["osrm", "valhalla"])
def test_plans_with_a_routing_server_over_http(server):
    jobs = [job(f"j{i}", near(WICKER_PARK, i, 0.02), window=(i % 3, i % 3 + 2)) for i in range(8)]
    problem = PlanningProblem(
        [vehicle("car"), vehicle("bike", kind="cargo_bike")], jobs, depart_at=T
    )
    with running() as (url, fake):
        source = OsrmSource(url) if server == "osrm" else ValhallaSource(url)
        solution = solve(problem, time_limit_s=1.0, matrix=source)
        assert check_solution(problem, solution, source) == []
        assert fake.stats[server] >= 2  # one matrix per vehicle kind (and the checker's)
    assert solution.matrix_source == server and solution.notes == []
    assert solution.unassigned == {}


@st.composite
def problems(draw):
    n_vehicles = draw(st.integers(1, 3))
    skills = ["age_check", "fragile"]
    vehicles = []
    for v in range(n_vehicles):
        vehicles.append(
            vehicle(
                f"v{v}",
                start=draw(st.sampled_from([WICKER_PARK, PILSEN])),
                kind=draw(st.sampled_from(["car", "van", "cargo_bike"])),
                cap=(draw(st.integers(3, 15)), draw(st.integers(5_000, 50_000)), 10**6),
                skills=draw(st.sets(st.sampled_from(skills))),
                hours=draw(st.sampled_from([3, 5, 8])),
            )
        )
    jobs = []
    for i in range(draw(st.integers(1, 25))):
        start = draw(st.integers(0, 6))
        jobs.append(
            job(
                f"j{i}",
                Place(41.85 + draw(st.floats(0, 0.08)), -87.70 + draw(st.floats(0, 0.08))),
                window=draw(st.sampled_from([None, (start, start + 1), (start, start + 2)])),
                demand=(draw(st.integers(1, 4)), draw(st.integers(100, 8_000)), 1000),
                skills=draw(st.sets(st.sampled_from(skills), max_size=1)),
                service=draw(st.integers(60, 600)),
            )
        )
    return PlanningProblem(vehicles, jobs, depart_at=T + draw(st.integers(0, 2)) * H)


@hsettings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=problems())
def test_every_plan_on_random_instances_passes_the_independent_checker(problem):
    solution = solve(problem, time_limit_s=0.4, matrix=OFFLINE)
    assert check_solution(problem, solution, OFFLINE) == []
    for route in solution.routes:
        again = check_route(
            problem, route.vehicle_key, [s.job_key for s in route.stops], matrix=OFFLINE
        )
        assert again.feasible, again.problems
        # the same times as the plan: moving nothing changes nothing
        assert [x.start for x in again.stops] == [x.start for x in route.stops]
        assert again.distance_m == route.distance_m


def test_checker_catches_broken_plans():
    jobs = [
        job("a", near(WICKER_PARK, 1), window=(0, 1)),
        job("b", near(WICKER_PARK, 2), window=(0, 1)),
    ]
    problem = PlanningProblem([vehicle("v", cap=(1, 10**6, 10**6))], jobs, depart_at=T)
    solution = solve(problem, time_limit_s=0.3, matrix=OFFLINE)
    assert check_solution(problem, solution, OFFLINE) == []
    route = solution.routes[0]
    route.stops.append(route.stops[0])
    solution.unassigned.pop(next(iter(solution.unassigned)))
    route.stops[0].start = T + 3 * H
    errors = " | ".join(check_solution(problem, solution, OFFLINE))
    assert "served 2 times" in errors and "outside its window" in errors
    assert "neither served nor listed" in errors and "carries 2 parcels > 1" in errors


def test_no_vehicle_in_the_wave_says_so():
    over = vehicle("early", hours=1)  # its shift ends before the wave leaves
    problem = PlanningProblem([over], [job("a", near(WICKER_PARK, 1))], depart_at=T + 2 * H)
    solution = planned(problem)
    assert solution.routes == []
    assert solution.unassigned == {"a": "no driver has a shift for this wave"}
    empty = planned(PlanningProblem([], [job("b", near(WICKER_PARK, 2))], depart_at=T))
    assert empty.unassigned == {"b": "no driver has a shift for this wave"}


def test_a_route_may_end_at_its_last_stop():
    open_end = vehicle("home")
    open_end.end = None
    jobs = [job(f"j{i}", near(PILSEN, i, 0.03), window=None) for i in range(10)]
    solution = planned(PlanningProblem([open_end], jobs, depart_at=T), seconds=1.5)
    (route,) = solution.routes
    assert len(route.stops) == 10
    assert route.back == route.stops[-1].departure  # no drive back to the hub


def test_improvement_fits_in_jobs_the_first_plan_left_out():
    import time

    from fulfillment.fleet.planning import solver

    jobs = [job(f"j{i}", near(WICKER_PARK, i, 0.02), window=None) for i in range(6)]
    problem = PlanningProblem([vehicle("a"), vehicle("b")], jobs, depart_at=T)
    model = solver._build(problem, OFFLINE)
    first = [[0, 1, 2], []]  # as if VROOM had left j3, j4 and j5 out
    better = solver._pyvrp_improve(
        model, first, [True, True], time.monotonic() + 1.0, 0, left_out=[3, 4, 5]
    )
    assert better is not None
    assert sorted(j for r in better for j in r) == [0, 1, 2, 3, 4, 5]
