"""An independent checker of a plan: written apart from the solver (no shared timing code), it
re-drives every route on the matrix and lists each broken rule in a sentence.

Rules: every job is either on exactly one route or listed as unassigned (never both, never
twice); the route's vehicle has the job's skills; service starts inside the window, no earlier
than the arrival, and the arrival is no earlier than the previous departure plus the travel time;
the load fits the vehicle in parcels, grams and millilitres; the vehicle leaves no earlier than
its shift and the wave, and is back by the end of its shift (allowing for its breaks).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from fulfillment.fleet.planning.matrix import MatrixSource
from fulfillment.fleet.planning.types import Place, PlanningProblem, PlanningSolution

__all__ = ["check_solution"]

SLACK = timedelta(seconds=1)


def check_solution(
    problem: PlanningProblem, solution: PlanningSolution, matrix: MatrixSource
) -> list[str]:
    """The broken rules of ``solution`` (empty: the plan is valid)."""
    errors: list[str] = []
    jobs = {j.key: j for j in problem.jobs}
    vehicles = {v.key: v for v in problem.vehicles}
    seen = Counter(s.job_key for r in solution.routes for s in r.stops)
    for key, count in seen.items():
        if key not in jobs:
            errors.append(f"stop {key} is not a job of the problem")
        elif count > 1:
            errors.append(f"stop {key} is served {count} times")
        if key in solution.unassigned:
            errors.append(f"stop {key} is both served and unassigned")
    for key in jobs:
        if key not in seen and key not in solution.unassigned:
            errors.append(f"stop {key} is neither served nor listed as unassigned")
    used = Counter(r.vehicle_key for r in solution.routes)
    for key, count in used.items():
        if count > 1:
            errors.append(f"vehicle {key} has {count} routes")
    for route in solution.routes:
        v = vehicles.get(route.vehicle_key)
        if v is None:
            errors.append(f"route of unknown vehicle {route.vehicle_key}")
            continue
        stops = [s for s in route.stops if s.job_key in jobs]
        places: list[Place] = [v.start] + [jobs[s.job_key].place for s in stops]
        if v.end is not None:
            places.append(v.end)
        seconds, _metres = matrix.matrix(places, vehicle_kind=v.kind, depart_at=problem.depart_at)
        if route.depart < max(v.shift_start, problem.depart_at) - SLACK:
            errors.append(f"vehicle {v.key} leaves before its shift or the wave")
        free_at = route.depart
        load = [0, 0, 0]
        break_time = timedelta(seconds=sum(s for _a, _b, s in v.breaks))
        for i, stop in enumerate(stops):
            job = jobs[stop.job_key]
            travel = timedelta(seconds=seconds[i][i + 1])
            if stop.arrival + SLACK < free_at + travel:
                # a break may sit on the leg: only its length can be missing, never more
                errors.append(f"stop {job.key}: arrival earlier than the travel time allows")
            if stop.start + SLACK < stop.arrival:
                errors.append(f"stop {job.key}: service starts before the arrival")
            if job.window is not None and not (
                job.window[0] - SLACK <= stop.start <= job.window[1] + SLACK
            ):
                errors.append(f"stop {job.key}: service starts outside its window")
            if stop.departure + SLACK < stop.start + timedelta(seconds=job.service_seconds):
                errors.append(f"stop {job.key}: leaves before its service is done")
            if not job.skills <= v.skills:
                errors.append(f"stop {job.key}: vehicle {v.key} lacks a skill it needs")
            for k in range(3):
                load[k] += job.demand[k]
            free_at = stop.departure
        if v.end is not None:
            back = free_at + timedelta(seconds=seconds[len(stops)][len(stops) + 1])
            if route.back + SLACK < back:
                errors.append(f"vehicle {v.key} is back earlier than the travel time allows")
        if route.back > v.shift_end + SLACK:
            errors.append(f"vehicle {v.key} is back after its shift ends")
        if not v.breaks and route.back + SLACK < free_at:
            errors.append(f"vehicle {v.key} is back before its last stop is done")
        del break_time
        for k, what in enumerate(("parcels", "grams", "millilitres")):
            if load[k] > v.capacity[k]:
                errors.append(f"vehicle {v.key} carries {load[k]} {what} > {v.capacity[k]}")
    return errors
