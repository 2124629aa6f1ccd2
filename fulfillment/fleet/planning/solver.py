"""The route planner (#16 item 3): VROOM first, then an improvement phase.

``solve`` builds one travel matrix per vehicle kind (from a matrix source, falling back to the
offline model), lists jobs that no vehicle can serve with the reason in a sentence, asks VROOM
(pyvroom, highest exploration level, a share of the time) for a first plan with time windows,
capacities in three dimensions, service times, skills, breaks, shift lengths and several depots,
and then hands VROOM's routes as the warm start to PyVRP's iterated local search for the rest of
the time (skills become routing profiles; vehicles with breaks keep VROOM's routes; jobs VROOM
left out are optional jobs with a prize). The result is kept only when it is valid and better.
When jobs are still out and PyVRP gave nothing, our own ruin-and-recreate search (string
removal, best insertion with blinks, simulated annealing; windows and capacities kept by O(1)
insertion checks) tries to fit them in.

``check_route`` re-times one vehicle's route in a given order (moving a stop, inserting an order,
the live ETA from the driver's position) and lists its problems in sentences.
"""

from __future__ import annotations

import math
import random
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import vroom

from fulfillment.fleet.planning.matrix import (
    MatrixSource,
    OfflineModel,
    matrix_source,
    matrix_with_fallback,
)
from fulfillment.fleet.planning.types import (
    Place,
    PlanJob,
    PlannedRoute,
    PlannedStop,
    PlanningProblem,
    PlanningSolution,
    PlanVehicle,
    RouteCheck,
)

__all__ = ["check_route", "solve"]

BIG = 10**12
# Share of the time limit VROOM may use for the first plan; the improvement phase has the rest.
VROOM_SHARE = 0.35
VROOM_FULL_UP_TO = 150  # jobs: up to this many, VROOM explores at its highest level
# Travel cost and time of an arc a vehicle may not take (to a job needing a skill it lacks).
UNREACHABLE = 10**9


@dataclass
class _Model:
    """The problem in integers: seconds from t0, node indices into per-kind matrices."""

    problem: PlanningProblem
    t0: datetime
    places: list[Place]
    dummy: int  # a node at zero distance from everything: the end of an open route
    dur: dict[str, list[list[int]]]  # vehicle kind -> seconds
    dist: dict[str, list[list[int]]]  # vehicle kind -> metres
    cost: dict[str, list[list[int]]]  # cost key -> cost (milli-minor units, or seconds)
    v_kind: list[str]
    v_cost_key: list[str]
    v_start: list[int]
    v_end: list[int]
    v_ready: list[int]
    v_close: list[int]
    v_cap: list[tuple[int, int, int]]
    j_key: list[str]
    j_node: list[int]
    j_a: list[int]
    j_b: list[int]
    j_svc: list[int]
    j_dem: list[tuple[int, int, int]]
    allowed: list[set[int]] = field(default_factory=list)
    source_name: str = ""
    notes: list[str] = field(default_factory=list)


def _secs(at: datetime, t0: datetime) -> int:
    return math.floor((at - t0).total_seconds())


def _cost_key(v: PlanVehicle) -> str:
    return f"{v.kind}|{v.per_hour_minor}|{v.per_km_minor}"


def _build(
    problem: PlanningProblem,
    source: MatrixSource,
    *,
    jobs: list[PlanJob] | None = None,
    vehicles: list[PlanVehicle] | None = None,
    depart_at: datetime | None = None,
) -> _Model:
    jobs = problem.jobs if jobs is None else jobs
    vehicles = problem.vehicles if vehicles is None else vehicles
    depart = depart_at or problem.depart_at
    t0 = min([depart] + [v.shift_start for v in vehicles])
    index: dict[Place, int] = {}
    places: list[Place] = []

    def node(p: Place) -> int:
        if p not in index:
            index[p] = len(places)
            places.append(p)
        return index[p]

    v_start = [node(v.start) for v in vehicles]
    v_end_places = [node(v.end) if v.end is not None else -1 for v in vehicles]
    j_node = [node(j.place) for j in jobs]
    dummy = len(places)
    dur: dict[str, list[list[int]]] = {}
    dist: dict[str, list[list[int]]] = {}
    notes: list[str] = []
    used = ""
    for kind in sorted({v.kind for v in vehicles}):
        seconds, metres, used, note = matrix_with_fallback(
            source, places, vehicle_kind=kind, depart_at=depart
        )
        if note and note not in notes:
            notes.append(note)
        if note:  # the server failed: no second wait for it on the next vehicle kind
            source = OfflineModel()
        dur[kind] = [[*row, 0] for row in seconds] + [[0] * (dummy + 1)]
        dist[kind] = [[*row, 0] for row in metres] + [[0] * (dummy + 1)]
    cost: dict[str, list[list[int]]] = {}
    for v in vehicles:
        key = _cost_key(v)
        if key in cost:
            continue
        d, m = dur[v.kind], dist[v.kind]
        if v.per_hour_minor == 0 and v.per_km_minor == 0:
            cost[key] = d
        else:
            ph, pk = v.per_hour_minor / 3.6, v.per_km_minor
            cost[key] = [
                [round(pk * m[i][k] + ph * d[i][k]) for k in range(dummy + 1)]
                for i in range(dummy + 1)
            ]
    model = _Model(
        problem=problem,
        t0=t0,
        places=places,
        dummy=dummy,
        dur=dur,
        dist=dist,
        cost=cost,
        v_kind=[v.kind for v in vehicles],
        v_cost_key=[_cost_key(v) for v in vehicles],
        v_start=v_start,
        v_end=[e if e >= 0 else dummy for e in v_end_places],
        v_ready=[max(_secs(v.shift_start, t0), _secs(depart, t0)) for v in vehicles],
        v_close=[_secs(v.shift_end, t0) for v in vehicles],
        v_cap=[tuple(v.capacity) for v in vehicles],  # type: ignore[misc]
        j_key=[j.key for j in jobs],
        j_node=j_node,
        j_a=[max(0, _secs(j.window[0], t0)) if j.window else 0 for j in jobs],
        j_b=[_secs(j.window[1], t0) if j.window else 10**9 for j in jobs],
        j_svc=[max(0, int(j.service_seconds)) for j in jobs],
        j_dem=[tuple(j.demand) for j in jobs],  # type: ignore[misc]
        source_name=used or getattr(source, "name", ""),
        notes=notes,
    )
    model.allowed = [{vi for vi, v in enumerate(vehicles) if j.skills <= v.skills} for j in jobs]
    return model


def _usable(place: Place) -> bool:
    lat, lon = place.latitude, place.longitude
    return (
        isinstance(lat, int | float)
        and isinstance(lon, int | float)
        and math.isfinite(lat)
        and math.isfinite(lon)
        and -90 <= lat <= 90
        and -180 <= lon <= 180
    )


def _fits(dem: tuple[int, int, int], cap: tuple[int, int, int]) -> bool:
    return dem[0] <= cap[0] and dem[1] <= cap[1] and dem[2] <= cap[2]


def _why_impossible(model: _Model, j: int, job: PlanJob) -> str | None:
    """A reason when no vehicle can serve the job even alone, else None."""
    if not any(model.v_ready[vi] < model.v_close[vi] for vi in range(len(model.v_ready))):
        return "no driver has a shift for this wave"
    if not model.allowed[j]:
        need = ", ".join(sorted(job.skills))
        return f"no vehicle has the skills it needs ({need})"
    if model.j_a[j] > model.j_b[j] or (job.window and model.j_b[j] < 0):
        return "its delivery window closed before the wave leaves"
    sized = [vi for vi in model.allowed[j] if _fits(model.j_dem[j], model.v_cap[vi])]
    if not sized:
        return "too big for every vehicle with the skills it needs (parcels, weight or volume)"
    reach = False
    back = False
    for vi in sized:
        t = model.dur[model.v_kind[vi]]
        arrive = model.v_ready[vi] + t[model.v_start[vi]][model.j_node[j]]
        begin = max(arrive, model.j_a[j])
        if begin > model.j_b[j]:
            continue
        reach = True
        if begin + model.j_svc[j] + t[model.j_node[j]][model.v_end[vi]] <= model.v_close[vi]:
            back = True
            break
    if not reach:
        return "no driver can reach it inside its delivery window"
    if not back:
        return "outside every shift: no driver could serve it and be back before the shift ends"
    return None


# --- timing -------------------------------------------------------------------------------------


def _timeline(
    model: _Model,
    vi: int,
    seq: list[int],
    *,
    ready: int | None = None,
    start_node: int | None = None,
    breaks: list[tuple[int, int, int]] | None = None,
) -> tuple[list[tuple[int, int, int]], int, int, list[tuple[int, int]], list[str]]:
    """[(arrival, start, departure)] per job, back time, metres, breaks taken, problems."""
    kind = model.v_kind[vi]
    t_m, d_m = model.dur[kind], model.dist[kind]
    t = model.v_ready[vi] if ready is None else ready
    here = model.v_start[vi] if start_node is None else start_node
    pending = sorted(breaks or [])
    taken: list[tuple[int, int]] = []
    problems: list[str] = []
    times: list[tuple[int, int, int]] = []
    metres = 0
    load = [0, 0, 0]

    def take_breaks(t: int, leg: int) -> int:
        while pending:
            earliest, latest_start, seconds = pending[0]
            if t >= earliest or t + leg > latest_start:
                begin = max(t, earliest)
                if begin > latest_start:
                    problems.append("no time left for the break")
                taken.append((begin, begin + seconds))
                t = begin + seconds
                pending.pop(0)
            else:
                break
        return t

    for j in seq:
        nxt = model.j_node[j]
        t = take_breaks(t, t_m[here][nxt])
        arrival = t + t_m[here][nxt]
        metres += d_m[here][nxt]
        start = max(arrival, model.j_a[j])
        if start > model.j_b[j]:
            late = (start - model.j_b[j] + 59) // 60
            problems.append(f"stop {model.j_key[j]} is reached {late} min after its window closes")
        depart = start + model.j_svc[j]
        times.append((arrival, start, depart))
        for k in range(3):
            load[k] += model.j_dem[j][k]
        t, here = depart, nxt
    end = model.v_end[vi]
    t = take_breaks(t, t_m[here][end])
    for earliest, _latest, seconds in pending:  # breaks not yet taken: at the end of the day
        begin = max(t, earliest)
        taken.append((begin, begin + seconds))
        t = begin + seconds
    back = t + t_m[here][end]
    metres += d_m[here][end]
    if back > model.v_close[vi]:
        over = (back - model.v_close[vi] + 59) // 60
        problems.append(f"back {over} min after the shift ends")
    cap = model.v_cap[vi]
    for k, what in enumerate(("parcels", "weight", "volume")):
        if load[k] > cap[k]:
            problems.append(f"too much {what} for the vehicle ({load[k]} > {cap[k]})")
    return times, back, metres, taken, problems


def _v_breaks(model: _Model, vi: int, vehicles: list[PlanVehicle]) -> list[tuple[int, int, int]]:
    return [(_secs(a, model.t0), _secs(b, model.t0) - s, s) for a, b, s in vehicles[vi].breaks]


# --- VROOM --------------------------------------------------------------------------------------


def _vroom_routes(
    model: _Model,
    jobs: list[int],
    *,
    exploration_level: int = 5,
    threads: int = 2,
    timeout_s: float | None = None,
    noise: random.Random | None = None,
) -> tuple[dict[int, list[int]], dict[int, _VroomTiming]]:
    inp = vroom.Input()
    vehicles = model.problem.vehicles
    keys = sorted(set(model.v_cost_key))
    for key in keys:
        kind = key.split("|")[0]
        inp.set_durations_matrix(key, model.dur[kind])
        inp.set_distances_matrix(key, model.dist[kind])
        costs = model.cost[key]
        if noise is not None:
            costs = [[round(c * (1 + noise.uniform(-0.04, 0.04))) for c in row] for row in costs]
        inp.set_costs_matrix(key, costs)
    skill_ids: dict[str, int] = {}
    for v in vehicles:
        for s in v.skills:
            skill_ids.setdefault(s, len(skill_ids) + 1)
    for vi, v in enumerate(vehicles):
        if model.v_ready[vi] >= model.v_close[vi]:
            continue  # its shift is over before the wave leaves
        inp.add_vehicle(
            vroom.Vehicle(
                vi + 1,
                start=model.v_start[vi],
                end=None if v.end is None else model.v_end[vi],
                profile=model.v_cost_key[vi],
                capacity=list(model.v_cap[vi]),
                skills={skill_ids[s] for s in v.skills},
                time_window=(max(0, model.v_ready[vi]), max(0, model.v_close[vi])),
                breaks=[
                    vroom.Break(bi + 1, time_windows=[(max(0, a), max(0, b))], service=s)
                    for bi, (a, b, s) in enumerate(_v_breaks(model, vi, vehicles))
                ],
            )
        )
    pjobs = model.problem.jobs
    for j in jobs:
        inp.add_job(
            vroom.Job(
                j + 1,
                location=model.j_node[j],
                default_service=model.j_svc[j],
                delivery=list(model.j_dem[j]),
                skills={skill_ids[s] for s in pjobs[j].skills},
                time_windows=[(model.j_a[j], max(model.j_a[j], model.j_b[j]))],
            )
        )
    kwargs: dict = {"exploration_level": exploration_level, "nb_threads": threads}
    if timeout_s is not None:
        kwargs["timeout"] = timedelta(seconds=max(0.05, timeout_s))
    answer = inp.solve(**kwargs).to_dict()
    routes: dict[int, list[int]] = {}
    timing: dict[int, _VroomTiming] = {}
    for route in answer.get("routes", []):
        vi = int(route["vehicle"]) - 1
        steps = route["steps"]
        routes[vi] = [int(st["id"]) - 1 for st in steps if st["type"] == "job"]

        def begin(st: dict) -> int:
            return int(st["arrival"]) + int(st.get("waiting_time", 0))

        timing[vi] = _VroomTiming(
            depart=int(steps[0]["arrival"]),
            back=int(steps[-1]["arrival"]),
            jobs=[
                (int(st["arrival"]), begin(st), begin(st) + int(st["service"]))
                for st in steps
                if st["type"] == "job"
            ],
            breaks=[
                (begin(st), begin(st) + int(st["service"])) for st in steps if st["type"] == "break"
            ],
        )
    return routes, timing


@dataclass
class _VroomTiming:
    """VROOM's own schedule of a route (kept for routes with breaks, which VROOM placed)."""

    depart: int
    back: int
    jobs: list[tuple[int, int, int]]
    breaks: list[tuple[int, int]]


# --- improvement: ruin and recreate -------------------------------------------------------------


class _Search:
    """Routes of the vehicles without breaks, improved by string removal + best insertion under
    simulated annealing. Every insertion keeps windows, capacities and shift ends (O(1) check on
    forward earliest starts and backward latest starts)."""

    mean_removed = 10  # SISR's c-bar: customers removed per move, on average
    max_string = 10  # SISR's L-max: longest string removed from one route
    t_start = 0.02  # temperatures, as a share of the mean arc cost of the first plan
    t_end = 0.0005

    def __init__(
        self, model: _Model, routes: list[list[int]], free: list[bool], rng: random.Random
    ):
        self.m = model
        self.rng = rng
        self.free = free  # vehicles this search may change
        self.routes = [list(r) for r in routes]
        self.nv = len(routes)
        self.N: list[list[int]] = [[] for _ in range(self.nv)]
        self.D: list[list[int]] = [[] for _ in range(self.nv)]
        self.L: list[list[int]] = [[] for _ in range(self.nv)]
        self.signature = [
            (
                model.v_kind[vi],
                model.v_cost_key[vi],
                model.v_start[vi],
                model.v_end[vi],
                model.v_ready[vi],
                model.v_close[vi],
                model.v_cap[vi],
                model.problem.vehicles[vi].skills,
            )
            for vi in range(self.nv)
        ]
        self.load: list[list[int]] = [[0, 0, 0] for _ in range(self.nv)]
        self.rcost: list[int] = [0] * self.nv
        self.where: dict[int, int] = {}
        for vi in range(self.nv):
            self._refresh(vi)
        self.unassigned: list[int] = []
        self.saved: dict[int, list[int]] = {}  # routes changed by the current move, as they were
        n = len(model.j_node)
        ref = model.cost[model.v_cost_key[0]] if self.nv else []
        self.near: list[list[int]] = []
        for j in range(n):
            row = ref[model.j_node[j]]
            others = sorted(
                (row[model.j_node[k]] + ref[model.j_node[k]][model.j_node[j]], k)
                for k in range(n)
                if k != j
            )
            self.near.append([k for _, k in others[:40]])

    def _refresh(self, vi: int) -> None:
        """Recompute route vi's nodes, departures (D), latest starts (L), load and cost."""
        m = self.m
        seq = self.routes[vi]
        t = m.dur[m.v_kind[vi]]
        c = m.cost[m.v_cost_key[vi]]
        j_node, j_a, j_b, j_svc = m.j_node, m.j_a, m.j_b, m.j_svc
        nodes = [m.v_start[vi], *(j_node[j] for j in seq), m.v_end[vi]]
        dep = m.v_ready[vi]
        D = [dep]
        cost = 0
        prev = nodes[0]
        for j in seq:
            nd = j_node[j]
            arr = dep + t[prev][nd]
            cost += c[prev][nd]
            a = j_a[j]
            dep = (arr if arr > a else a) + j_svc[j]
            D.append(dep)
            prev = nd
        cost += c[prev][nodes[-1]]
        n = len(nodes)
        L = [0] * n
        L[-1] = m.v_close[vi]
        for p in range(n - 2, 0, -1):
            j = seq[p - 1]
            late = L[p + 1] - t[nodes[p]][nodes[p + 1]] - j_svc[j]
            L[p] = j_b[j] if j_b[j] < late else late
        load = [0, 0, 0]
        for j in seq:
            self.where[j] = vi
            d = m.j_dem[j]
            load[0] += d[0]
            load[1] += d[1]
            load[2] += d[2]
        self.N[vi], self.D[vi], self.L[vi], self.load[vi], self.rcost[vi] = nodes, D, L, load, cost

    def total(self) -> int:
        return sum(self.rcost) + BIG * len(self.unassigned)

    def best_insert(self, j: int, blink: float) -> tuple[int, int, int] | None:
        """Cheapest feasible (cost delta, vehicle, position) for job j, or None."""
        m = self.m
        nx, a, b, svc, dem = m.j_node[j], m.j_a[j], m.j_b[j], m.j_svc[j], m.j_dem[j]
        best: tuple[int, int, int] | None = None
        best_delta = BIG
        rng = self.rng.random
        empty_seen: set[tuple] = set()
        for vi in m.allowed[j]:
            if not self.free[vi]:
                continue
            ld, cap = self.load[vi], m.v_cap[vi]
            if ld[0] + dem[0] > cap[0] or ld[1] + dem[1] > cap[1] or ld[2] + dem[2] > cap[2]:
                continue
            if not self.routes[vi]:
                sig = self.signature[vi]
                if sig in empty_seen:
                    continue
                empty_seen.add(sig)
            t = m.dur[m.v_kind[vi]]
            c = m.cost[m.v_cost_key[vi]]
            N, D, L = self.N[vi], self.D[vi], self.L[vi]
            tx = t[nx]
            cx = c[nx]
            prev = N[0]
            for p in range(len(N) - 1):
                dep = D[p]
                if dep > b:
                    break  # departures only grow along the route: no later position fits
                q = N[p + 1]
                cp = c[prev]
                delta = cp[nx] + cx[q] - cp[q]
                if delta < best_delta:
                    st = dep + t[prev][nx]
                    if st < a:
                        st = a
                    if st <= b and st + svc + tx[q] <= L[p + 1] and rng() >= blink:
                        best_delta = delta
                        best = (delta, vi, p)
                prev = q
        return best

    def insert(self, j: int, vi: int, p: int) -> None:
        if vi not in self.saved:
            self.saved[vi] = list(self.routes[vi])
        self.routes[vi].insert(p, j)
        self._refresh(vi)

    def ruin(self) -> list[int]:
        rng = self.rng
        assigned = [j for j in self.where if self.free[self.where[j]]]
        if not assigned:
            return []
        seed = rng.choice(assigned)
        avg = max(1, len(assigned) // max(1, sum(1 for r in self.routes if r)))
        lmax = min(self.max_string, avg)
        ks_max = 4 * self.mean_removed / (1 + lmax) - 1
        n_strings = max(1, int(rng.uniform(1, ks_max + 1)))
        touched: set[int] = set()
        removed: list[int] = []
        for j in [seed] + self.near[seed]:
            if len(touched) >= n_strings:
                break
            vi = self.where.get(j)
            if vi is None or vi in touched or not self.free[vi]:
                continue
            seq = self.routes[vi]
            if vi not in self.saved:
                self.saved[vi] = list(seq)
            size = max(1, min(len(seq), int(rng.uniform(1, lmax + 1))))
            pos = seq.index(j)
            lo = max(0, min(pos - rng.randint(0, size - 1), len(seq) - size))
            cut = seq[lo : lo + size]
            del seq[lo : lo + size]
            for k in cut:
                del self.where[k]
            removed.extend(cut)
            touched.add(vi)
        for vi in touched:
            self._refresh(vi)
        return removed

    def recreate(self, removed: list[int]) -> None:
        rng = self.rng
        m = self.m
        order = rng.randrange(4)
        if order == 0:
            rng.shuffle(removed)
        elif order == 1:
            removed.sort(key=lambda j: -sum(m.j_dem[j]))
        elif order == 2:
            removed.sort(key=lambda j: m.j_b[j] - m.j_a[j])
        else:
            removed.sort(key=lambda j: -m.dist[m.v_kind[0]][m.v_start[0]][m.j_node[j]])
        left = []
        for j in removed:
            spot = self.best_insert(j, 0.01)
            if spot is None:
                spot = self.best_insert(j, 0.0)
            if spot is None:
                left.append(j)
            else:
                self.insert(j, spot[1], spot[2])
        self.unassigned.extend(left)

    def snapshot(self) -> list[list[int]]:
        return [list(r) for r in self.routes]

    def restore(self, routes: list[list[int]], unassigned: list[int]) -> None:
        self.routes = [list(r) for r in routes]
        self.where = {}
        for vi in range(self.nv):
            self._refresh(vi)
        self.unassigned = list(unassigned)

    def undo(self) -> None:
        for vi, seq in self.saved.items():
            for j in self.routes[vi]:
                self.where.pop(j, None)
            self.routes[vi] = seq
        for vi in self.saved:
            self._refresh(vi)
        self.saved = {}

    def run(self, deadline: float) -> int:
        """Simulated annealing on ruin-and-recreate until the deadline; returns the iterations."""
        current = self.total()
        best = current
        best_routes = self.snapshot()
        best_un = list(self.unassigned)
        arcs = max(1, sum(len(r) + 1 for r in self.routes if r))
        base = (current % BIG) / arcs if current % BIG else 1.0
        t_start, t_end = self.t_start * base, self.t_end * base
        began = time.monotonic()
        span = max(1e-3, deadline - began)
        iterations = 0
        while True:
            if iterations % 16 == 0:
                now = time.monotonic()
                if now >= deadline:
                    break
                temp = t_start * (t_end / t_start) ** ((now - began) / span)
            iterations += 1
            self.saved = {}
            saved_un = list(self.unassigned)
            pending = self.unassigned
            self.unassigned = []
            removed = self.ruin() + pending
            self.recreate(removed)
            new = self.total()
            if new < current - temp * math.log(max(1e-12, self.rng.random())):
                current = new
                if new < best:
                    best = new
                    best_routes = self.snapshot()
                    best_un = list(self.unassigned)
            else:
                self.undo()
                self.unassigned = saved_un
        self.restore(best_routes, best_un)
        return iterations


# --- improvement: PyVRP's iterated local search, warm-started from VROOM ------------------------


def _pyvrp_improve(
    model: _Model,
    routes: list[list[int]],
    free: list[bool],
    deadline: float,
    seed: int,
    left_out: list[int] | None = None,
) -> list[list[int]] | None:
    """Re-plan the free vehicles' jobs with PyVRP, starting from VROOM's routes; None when PyVRP
    found nothing better (or nothing valid). The jobs VROOM placed on free vehicles must stay
    planned; the ones it left out (``left_out``) take part as optional jobs with a prize above
    any detour, so PyVRP fits in as many as it can. Skills become routing profiles without arcs
    to the jobs a vehicle may not serve."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    vehicles = [vi for vi in range(len(routes)) if free[vi]]
    placed = sorted(j for vi in vehicles for j in routes[vi])
    optional = [j for j in (left_out or []) if model.allowed[j] & set(vehicles)]
    jobs = placed + optional
    if not jobs or time.monotonic() >= deadline - 0.05:
        return None
    required = set(placed)
    prize = 1 + 2 * max(
        (max(max(row) for row in model.cost[model.v_cost_key[vi]]) for vi in vehicles), default=0
    )
    pvehicles = model.problem.vehicles
    # Locations: the depots (vehicle start and end nodes), then one per job (never shared, so a
    # job's skills can close its column in the profiles of vehicles without them).
    depot_nodes = sorted(
        {model.v_start[vi] for vi in vehicles} | {model.v_end[vi] for vi in vehicles}
    )
    depot_at = {node: i for i, node in enumerate(depot_nodes)}
    idx = np.array(depot_nodes + [model.j_node[j] for j in jobs], dtype=np.int64)
    nd = len(depot_nodes)
    locations = [pyvrp.Location(0, 0) for _ in range(len(idx))]
    depots = [pyvrp.Depot(i) for i in range(nd)]
    clients = [
        pyvrp.Client(
            nd + k,
            delivery=list(model.j_dem[j]),
            service_duration=model.j_svc[j],
            tw_early=model.j_a[j],
            tw_late=max(model.j_a[j], model.j_b[j]),
            required=j in required,
            prize=0 if j in required else prize,
        )
        for k, j in enumerate(jobs)
    ]
    # One profile per (cost key, skills); one vehicle type per group of identical vehicles.
    profiles: dict[tuple, int] = {}
    distance_matrices: list[np.ndarray] = []
    duration_matrices: list[np.ndarray] = []
    dense: dict[str, np.ndarray] = {}
    groups: dict[tuple, list[int]] = {}
    for vi in vehicles:
        pkey = (model.v_cost_key[vi], pvehicles[vi].skills)
        if pkey not in profiles:
            profiles[pkey] = len(profiles)
            ckey, kind = model.v_cost_key[vi], model.v_kind[vi]
            if ckey not in dense:
                dense[ckey] = np.asarray(model.cost[ckey], dtype=np.int64)
            if kind not in dense:
                dense[kind] = np.asarray(model.dur[kind], dtype=np.int64)
            cost = dense[ckey][np.ix_(idx, idx)]
            dur = dense[kind][np.ix_(idx, idx)]
            closed = [nd + k for k, j in enumerate(jobs) if vi not in model.allowed[j]]
            if closed:
                cost[:, closed] = UNREACHABLE
                dur[:, closed] = UNREACHABLE
                np.fill_diagonal(cost, 0)
                np.fill_diagonal(dur, 0)
            distance_matrices.append(cost)
            duration_matrices.append(dur)
        gkey = (
            pkey,
            model.v_start[vi],
            model.v_end[vi],
            model.v_ready[vi],
            model.v_close[vi],
            model.v_cap[vi],
        )
        groups.setdefault(gkey, []).append(vi)
    types = list(groups.values())
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=len(members),
            capacity=list(model.v_cap[members[0]]),
            start_depot=depot_at[model.v_start[members[0]]],
            end_depot=depot_at[model.v_end[members[0]]],
            tw_early=max(0, model.v_ready[members[0]]),
            tw_late=max(0, model.v_close[members[0]]),
            unit_distance_cost=1,
            unit_duration_cost=0,
            profile=profiles[gkey[0]],
        )
        for gkey, members in groups.items()
    ]
    try:
        data = pyvrp.ProblemData(
            locations, clients, depots, vehicle_types, distance_matrices, duration_matrices
        )
    except (RuntimeError, ValueError):  # PyVRP refuses the problem: VROOM's plan stands
        return None
    rank = {j: i for i, j in enumerate(jobs)}
    vtype = {vi: ti for ti, members in enumerate(types) for vi in members}
    try:
        start = pyvrp.Solution(
            data,
            [
                pyvrp.Route(data, [rank[j] for j in routes[vi]], vtype[vi])
                for vi in vehicles
                if routes[vi]
            ],
        )
    except (RuntimeError, ValueError, IndexError):
        start = None
    left = deadline - time.monotonic()
    if left <= 0.05:
        return None
    with warnings.catch_warnings():  # penalty bounds hit with closed (skill) arcs: not news
        warnings.simplefilter("ignore")
        result = pyvrp.solve(
            data, MaxRuntime(left), seed=seed, collect_stats=False, initial_solution=start
        )
    best = result.best
    if not best.is_feasible():
        return None
    out = [list(r) for r in routes]
    for vi in vehicles:
        out[vi] = []
    pool = {ti: list(members) for ti, members in enumerate(types)}
    for route in best.routes():
        vi = pool[route.vehicle_type()].pop(0)
        out[vi] = [jobs[a.idx] for a in route if a.is_client()]
    served = [j for r in out for j in r]
    if len(served) != len(set(served)) or not required <= set(served):
        return None
    before = sum(len(r) for r in routes)
    if (
        start is not None
        and start.is_feasible()
        and len(served) == before
        and best.distance_cost() >= start.distance_cost()
    ):
        return None  # nothing gained on VROOM's plan
    for vi, seq in enumerate(out):
        if any(vi not in model.allowed[j] for j in seq):
            return None
    return out


# --- public -------------------------------------------------------------------------------------


def _at(model: _Model, s: int) -> datetime:
    return model.t0 + timedelta(seconds=s)


def solve(
    problem: PlanningProblem,
    *,
    time_limit_s: float = 10.0,
    matrix: MatrixSource | None = None,
    seed: int = 0,
    improve: bool = True,
) -> PlanningSolution:
    """Plan routes for every vehicle; jobs that do not fit are returned with a reason."""
    began = time.monotonic()
    deadline = began + max(0.0, time_limit_s)
    unassigned: dict[str, str] = {}
    placeless = [j for j in problem.jobs if not _usable(j.place)]
    if placeless:  # plan the rest; these are listed with the reason
        for j in placeless:
            unassigned[j.key] = "its address has no usable position (not geocoded)"
        keep = [j for j in problem.jobs if _usable(j.place)]
        problem = PlanningProblem(vehicles=problem.vehicles, jobs=keep, depart_at=problem.depart_at)
    model = _build(problem, matrix or matrix_source())
    todo: list[int] = []
    for j, job in enumerate(problem.jobs):
        reason = _why_impossible(model, j, job)
        if reason:
            unassigned[job.key] = reason
        else:
            todo.append(j)
    nv = len(problem.vehicles)
    routes: list[list[int]] = [[] for _ in range(nv)]
    vroom_timing: dict[int, _VroomTiming] = {}
    if todo and nv:
        left = max(0.5, deadline - time.monotonic())
        share = VROOM_SHARE if improve else 1.0
        # VROOM's highest level is slow on big problems (9 s for 400 stops on a busy 2-core
        # machine); its quickest level is a good enough start for the improvement phase there.
        level = 5 if not improve or len(todo) <= VROOM_FULL_UP_TO else 1
        found, vroom_timing = _vroom_routes(
            model, todo, timeout_s=left * share, exploration_level=level
        )
        for vi, seq in found.items():
            routes[vi] = seq
    free = [
        not v.breaks and model.v_ready[vi] < model.v_close[vi]
        for vi, v in enumerate(problem.vehicles)
    ]
    served = {j for r in routes for j in r}
    if improve and todo and nv and any(free) and time.monotonic() < deadline:
        left_out = [j for j in todo if j not in served]
        better = _pyvrp_improve(model, routes, free, deadline, seed, left_out)
        if better is not None:
            routes = better
        elif len(served) < len(todo) and time.monotonic() < deadline - 0.1:
            # PyVRP only reorders what VROOM placed: our own search may still fit the rest.
            search = _Search(model, routes, free, random.Random(seed))
            search.unassigned = [j for j in todo if j not in served]
            search.run(deadline)
            routes = search.snapshot()
        served = {j for r in routes for j in r}
    for j in todo:
        if j not in served:
            unassigned[problem.jobs[j].key] = (
                "no room: every route that could take it is full or out of time "
                "(capacity, windows or shift end)"
            )
    planned: list[PlannedRoute] = []
    for vi, seq in enumerate(routes):
        if not seq:
            continue
        v = problem.vehicles[vi]
        ready = model.v_ready[vi]
        first_wait = 0
        if seq:
            t_m = model.dur[v.kind]
            arr = ready + t_m[model.v_start[vi]][model.j_node[seq[0]]]
            first_wait = max(0, model.j_a[seq[0]] - arr)
        breaks = _v_breaks(model, vi, problem.vehicles)
        times, back, metres, taken, _problems = _timeline(
            model, vi, seq, ready=ready + first_wait, breaks=breaks
        )
        depart = ready + first_wait
        vt = vroom_timing.get(vi)
        if v.breaks and vt is not None and len(vt.jobs) == len(seq):
            # VROOM placed the breaks: its schedule is the one that fits them
            times, taken, depart, back = vt.jobs, vt.breaks, vt.depart, vt.back
        duration = back - depart
        planned.append(
            PlannedRoute(
                vehicle_key=v.key,
                stops=[
                    PlannedStop(
                        job_key=problem.jobs[j].key,
                        arrival=_at(model, a),
                        start=_at(model, s),
                        departure=_at(model, d),
                    )
                    for j, (a, s, d) in zip(seq, times, strict=True)
                ],
                distance_m=metres,
                duration_s=duration,
                depart=_at(model, depart),
                back=_at(model, back),
                breaks=[(_at(model, a), _at(model, b)) for a, b in taken],
                cost_minor=round(
                    v.per_hour_minor * duration / 3600 + v.per_km_minor * metres / 1000
                ),
            )
        )
    return PlanningSolution(
        routes=planned,
        unassigned=unassigned,
        matrix_source=model.source_name,
        notes=model.notes,
        seconds=round(time.monotonic() - began, 3),
    )


def check_route(
    problem: PlanningProblem,
    vehicle_key: str,
    job_keys: list[str],
    *,
    start_at: datetime | None = None,
    start_place: Place | None = None,
    matrix: MatrixSource | None = None,
) -> RouteCheck:
    """Re-time one vehicle's route in the given order, from its start (or from ``start_place`` at
    ``start_at``: the driver's position). Problems (late stops, load, shift end, skills, unknown
    stops) are listed in sentences; the times are given even when the route is not feasible."""
    vehicle = next((v for v in problem.vehicles if v.key == vehicle_key), None)
    if vehicle is None:
        return RouteCheck(False, [], 0, 0, [f"no vehicle {vehicle_key} in the plan"])
    by_key = {j.key: j for j in problem.jobs}
    problems = [f"no stop {k} in the plan" for k in job_keys if k not in by_key]
    if len(set(job_keys)) != len(job_keys):
        problems.append("a stop is listed twice")
    jobs = [by_key[k] for k in job_keys if k in by_key]
    problems += [f"stop {j.key} has no usable position" for j in jobs if not _usable(j.place)]
    jobs = [j for j in jobs if _usable(j.place)]
    v = PlanVehicle(**{**vehicle.__dict__, "start": start_place or vehicle.start})
    depart = start_at or max(problem.depart_at, vehicle.shift_start)
    if start_at is not None:
        v.shift_start = min(v.shift_start, start_at)
    model = _build(problem, matrix or matrix_source(), jobs=jobs, vehicles=[v], depart_at=depart)
    for job in jobs:
        if not job.skills <= vehicle.skills:
            missing = ", ".join(sorted(job.skills - vehicle.skills))
            problems.append(f"stop {job.key} needs {missing}, which the vehicle lacks")
    ready = max(model.v_ready[0], _secs(depart, model.t0))
    if start_at is None and jobs:  # planning: leave late enough not to wait at the first stop
        first = ready + model.dur[v.kind][model.v_start[0]][model.j_node[0]]
        ready += max(0, model.j_a[0] - first)
    now_breaks = [
        b
        for b in _v_breaks(model, 0, [v])
        if start_at is None or b[1] + b[2] > _secs(start_at, model.t0)
    ]
    times, back, metres, _taken, more = _timeline(
        model, 0, list(range(len(jobs))), ready=ready, breaks=now_breaks
    )
    problems.extend(more)
    stops = [
        PlannedStop(
            job_key=job.key, arrival=_at(model, a), start=_at(model, s), departure=_at(model, d)
        )
        for job, (a, s, d) in zip(jobs, times, strict=True)
    ]
    return RouteCheck(
        feasible=not problems,
        stops=stops,
        distance_m=metres,
        duration_s=back - ready,
        problems=problems,
        back=_at(model, back),
        depart=_at(model, ready),
    )
