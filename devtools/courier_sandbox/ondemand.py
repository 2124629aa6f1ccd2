"""The sandbox as an on-demand courier: jobs, their couriers' journeys, tokens and webhooks.

A job is one pick-up and one drop-off. Its journey is planned once, deterministically from
(seed, job id): a courier is assigned, rides from a point near the shop to the pick-up, waits,
picks the parcel up and rides in a straight line to the drop-off, waits at the door and
delivers. Offsets are simulated seconds after creation; like the parcel journeys they become
real time through the speed factor (`--ondemand-speed`, by default the sandbox's `--speed`).

Addresses are "geocoded" the way the product's offline geocoder does it: a US ZIP code in the
address gives its centroid (from the `zipcodes` package when it is installed, as it is in the
project's environment), so the courier rides to the very point the shop's order is geocoded
to; any other address gets a stable point in the sandbox's zone (a hash of the text).

What happens is turned into webhook deliveries (stuart.py gives them Stuart's shape) queued
per API client; webhooks_ondemand.py posts them.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:  # the project's offline geocoder data; the sandbox still runs without it
    import zipcodes
except ImportError:  # pragma: no cover - the project's environment has it
    zipcodes = None

ZONE_CENTRE = (41.8781, -87.6298)  # where addresses without a known ZIP code land (Chicago)
EARTH_RADIUS_M = 6_371_000.0
SPEED_MPS = {"walk": 1.4, "bike": 4.5, "cargobike": 4.0, "motorbike": 8.0, "car": 7.0, "van": 6.0}
DEFAULT_TRANSPORT = "bike"
TOKEN_LIFETIME_S = 2_592_000  # a month, as Stuart's tokens
ARRIVING_S = 120.0  # simulated seconds before the door when the courier is "almost" there
FIRST_NAMES = ("Sam", "Alex", "Noor", "Jo", "Priya", "Luca", "Mia", "Tomasz", "Ada", "Kofi")
LAST_NAMES = ("Rivers", "Okafor", "Silva", "Novak", "Haddad", "Lindqvist", "Moreau", "Kim")
_ZIP = re.compile(r"(?<![\d-])(\d{5})(?![\d])")


class JobRefused(Exception):
    """The job cannot be created or changed: (code, message, data) as Stuart answers."""

    def __init__(self, code: str, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data or {}


# --- geography -------------------------------------------------------------------------------
def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def moved(point: tuple[float, float], metres: float, bearing_deg: float) -> tuple[float, float]:
    """A point `metres` away in direction `bearing_deg` (small distances: flat Earth)."""
    bearing = math.radians(bearing_deg)
    lat = point[0] + metres * math.cos(bearing) / 111_195.0
    lon = point[1] + metres * math.sin(bearing) / (111_195.0 * math.cos(math.radians(point[0])))
    return (lat, lon)


def between(a: tuple[float, float], b: tuple[float, float], share: float) -> tuple[float, float]:
    share = min(1.0, max(0.0, share))
    return (a[0] + (b[0] - a[0]) * share, a[1] + (b[1] - a[1]) * share)


def geocode(address: str) -> tuple[float, float]:
    """The centroid of the last US ZIP code in the address, else a stable point in the zone."""
    for code in reversed(_ZIP.findall(address)):
        if zipcodes is not None:
            try:
                found = zipcodes.matching(code)
            except (TypeError, ValueError):
                found = []
            if found:
                return (float(found[0]["lat"]), float(found[0]["long"]))
    digest = hashlib.sha256(address.strip().lower().encode()).digest()
    metres = 500 + int.from_bytes(digest[:4], "big") % 6000
    return moved(ZONE_CENTRE, metres, int.from_bytes(digest[4:6], "big") % 360)


# --- the journey -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Stage:
    offset_s: float
    job_status: str  # Stuart job status
    delivery_status: str  # Stuart delivery status


@dataclass(frozen=True)
class Journey:
    start: tuple[float, float]  # where the assigned courier is
    pickup: tuple[float, float]
    dropoff: tuple[float, float]
    assigned_s: float
    at_pickup_s: float
    picked_s: float
    at_dropoff_s: float
    delivered_s: float
    stages: tuple[Stage, ...]

    def stage_at(self, t: float) -> Stage:
        current = self.stages[0]
        for stage in self.stages:
            if stage.offset_s <= t:
                current = stage
        return current

    def position_at(self, t: float) -> tuple[float, float] | None:
        """Where the courier is at simulated second `t`; None before assignment or after."""
        if t < self.assigned_s or t >= self.delivered_s:
            return None
        if t < self.at_pickup_s:
            share = (t - self.assigned_s) / (self.at_pickup_s - self.assigned_s)
            return between(self.start, self.pickup, share)
        if t < self.picked_s:
            return self.pickup
        if t < self.at_dropoff_s:
            share = (t - self.picked_s) / (self.at_dropoff_s - self.picked_s)
            return between(self.pickup, self.dropoff, share)
        return self.dropoff


def plan_journey(
    job_id: int,
    pickup: tuple[float, float],
    dropoff: tuple[float, float],
    transport: str,
    *,
    seed: int,
) -> Journey:
    rng = random.Random(f"{seed}:job:{job_id}")
    speed = SPEED_MPS.get(transport, SPEED_MPS[DEFAULT_TRANSPORT])
    start = moved(pickup, rng.uniform(600, 1500), rng.uniform(0, 360))
    assigned = rng.uniform(20, 60)
    at_pickup = assigned + max(30.0, distance_m(start, pickup) / speed)
    picked = at_pickup + rng.uniform(60, 150)
    at_dropoff = picked + max(60.0, distance_m(pickup, dropoff) / speed)
    delivered = at_dropoff + rng.uniform(40, 90)
    stages = (
        Stage(0.0, "new", "pending"),
        Stage(1.0, "searching", "pending"),
        Stage(assigned, "in_progress", "picking"),
        Stage(max(assigned, at_pickup - ARRIVING_S / 2), "in_progress", "almost_picking"),
        Stage(at_pickup, "in_progress", "waiting_at_pickup"),
        Stage(picked, "in_progress", "delivering"),
        Stage(max(picked, at_dropoff - ARRIVING_S), "in_progress", "almost_delivering"),
        Stage(at_dropoff, "in_progress", "waiting_at_dropoff"),
        Stage(delivered, "finished", "delivered"),
    )
    return Journey(start, pickup, dropoff, assigned, at_pickup, picked, at_dropoff, delivered,
                   stages)  # fmt: skip


# --- the store -------------------------------------------------------------------------------
@dataclass
class WebhookTarget:
    url: str
    header: str = "Authorization"
    value: str = ""
    enabled: bool = True


class OnDemandStore:
    """Jobs, tokens and webhook settings of the on-demand courier, and the webhook outbox.

    API clients are told apart by their client id: each has its own jobs' webhooks (tests and
    demo accounts sharing one sandbox never see each other's deliveries). The client secret is
    the sandbox's API key.
    """

    def __init__(
        self,
        *,
        seed: int = 1,
        speed: float = 60.0,
        client_secret: str,
        position_every_s: float = 5.0,
        default_webhook: WebhookTarget | None = None,
        state_file: Path | None = None,
        clock: Any = time.time,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.seed, self.speed, self.client_secret = seed, speed, client_secret
        self.position_every_s = position_every_s
        self.default_webhook = default_webhook
        self.state_file = state_file
        self.clock = clock
        self._lock = threading.RLock()
        self._journeys: dict[str, Journey] = {}
        self.tokens: dict[str, tuple[str, float]] = {}  # token: (client id, expires at)
        self.webhooks: dict[str, WebhookTarget] = {}  # client id: target
        self.outbox: dict[str, list[dict[str, Any]]] = {}  # client id: deliveries to post
        self.stats = {"sent": 0, "dropped": 0, "failed": 0}
        self.state: dict[str, Any] = {"counter": 0, "jobs": {}}
        if state_file and state_file.exists():
            self.state.update(json.loads(state_file.read_text()))

    def _save(self) -> None:
        if not self.state_file:
            return
        tmp = self.state_file.with_suffix(self.state_file.suffix + ".tmp")
        tmp.write_text(json.dumps(self.state))
        os.replace(tmp, self.state_file)

    # --- auth --------------------------------------------------------------------------------
    def issue_token(self, client_id: str, client_secret: str) -> tuple[str, int] | None:
        if not client_id or not secrets.compare_digest(
            client_secret.encode(), self.client_secret.encode()
        ):
            return None
        token = "sbx-" + secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = (client_id, self.clock() + TOKEN_LIFETIME_S)
        return token, TOKEN_LIFETIME_S

    def client_for(self, authorization: str) -> str | None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        with self._lock:
            found = self.tokens.get(token.strip())
        if found is None or found[1] < self.clock():
            return None
        return found[0]

    def set_webhook(self, client_id: str, target: WebhookTarget) -> None:
        with self._lock:
            self.webhooks[client_id] = target

    def webhook_for(self, client_id: str) -> WebhookTarget | None:
        target = self.webhooks.get(client_id) or self.default_webhook
        return target if target and target.enabled and target.url else None

    # --- jobs --------------------------------------------------------------------------------
    def create(self, client_id: str, job: dict[str, Any]) -> dict[str, Any]:
        """A new job from its validated parts (stuart.read_job); JobRefused on a reused
        client_reference, as Stuart refuses it."""
        with self._lock:
            reference = job.get("client_reference", "")
            if reference and self.find(client_id, reference):
                raise JobRefused(
                    "RECORD_INVALID",
                    "Record invalid",
                    {"client_reference": ["has already been taken"]},
                )
            self.state["counter"] += 1
            base = random.Random(f"{self.seed}:jobs").randrange(100_000, 900_000)
            job_id = base * 10 + self.state["counter"]
            record = {
                **job,
                "id": job_id,
                "client": client_id,
                "created_at": self.clock(),
                "cancelled_at": None,
                "courier": {
                    "firstname": random.Random(f"{self.seed}:{job_id}:f").choice(FIRST_NAMES),
                    "lastname": random.Random(f"{self.seed}:{job_id}:l").choice(LAST_NAMES),
                },
                "emitted_stage": -1,
                "emitted_position_s": None,
            }
            self.state["jobs"][str(job_id)] = record
            self._save()
            return record

    def get(self, client_id: str, job_id: str) -> dict[str, Any] | None:
        job = self.state["jobs"].get(job_id)
        return job if job and job["client"] == client_id else None

    def find(self, client_id: str, client_reference: str) -> list[dict[str, Any]]:
        return [
            j
            for j in self.state["jobs"].values()
            if j["client"] == client_id and j.get("client_reference") == client_reference
        ]

    def journey(self, job: dict[str, Any]) -> Journey:
        key = str(job["id"])
        if key not in self._journeys:
            self._journeys[key] = plan_journey(
                job["id"],
                tuple(job["pickup"]["point"]),
                tuple(job["dropoff"]["point"]),
                job["transport"],
                seed=self.seed,
            )
        return self._journeys[key]

    def sim_now(self, job: dict[str, Any]) -> float:
        """Simulated seconds since the job was created (frozen at its cancellation)."""
        until = job["cancelled_at"] if job["cancelled_at"] is not None else self.clock()
        return (until - job["created_at"]) * self.speed

    def real_time(self, job: dict[str, Any], offset_s: float) -> float:
        return job["created_at"] + offset_s / self.speed

    def cancel(self, client_id: str, job_id: str) -> dict[str, Any] | None:
        """The cancelled job, None when unknown; JobRefused once the parcel is picked up."""
        with self._lock:
            job = self.get(client_id, job_id)
            if job is None:
                return None
            if job["cancelled_at"] is None:
                if self.sim_now(job) >= self.journey(job).picked_s:
                    raise JobRefused(
                        "JOB_CANNOT_BE_CANCELLED", "The parcel has already been picked up."
                    )
                job["cancelled_at"] = self.clock()
                self._queue(job, "cancelled")
                self._save()
            return job

    # --- what happened since the last look: the webhook outbox -------------------------------
    def materialise(self) -> None:
        """Queue a job and a delivery webhook for every stage reached, and a driver webhook
        with the courier's position every `position_every_s` simulated seconds (coalesced:
        only the newest unsent position of a job waits in the outbox)."""
        from devtools.courier_sandbox import stuart  # the shapes; stuart imports this module

        with self._lock:
            for job in self.state["jobs"].values():
                if job["cancelled_at"] is not None or self.webhook_for(job["client"]) is None:
                    continue
                journey, now = self.journey(job), self.sim_now(job)
                reached = [i for i, s in enumerate(journey.stages) if s.offset_s <= now]
                for index in range(job["emitted_stage"] + 1, (reached[-1] if reached else -1) + 1):
                    stage = journey.stages[index]
                    self._post(job, stuart.job_webhook(self, job, stage))
                    self._post(job, stuart.delivery_webhook(self, job, stage))
                    job["emitted_stage"] = index
                last = job["emitted_position_s"]
                if journey.position_at(now) is not None and (
                    last is None or now - last >= self.position_every_s
                ):
                    body = stuart.driver_webhook(self, job, now)
                    if body is not None:
                        outbox = self.outbox.setdefault(job["client"], [])
                        outbox[:] = [
                            d for d in outbox if d.get("position_of") != job["id"] or d["sending"]
                        ]
                        outbox.append({"body": body, "position_of": job["id"], "sending": False})
                        job["emitted_position_s"] = now

    def _queue(self, job: dict[str, Any], delivery_status: str) -> None:
        from devtools.courier_sandbox import stuart

        if self.webhook_for(job["client"]) is not None:
            stage = Stage(self.sim_now(job), "canceled", delivery_status)
            self._post(job, stuart.job_webhook(self, job, stage))
            self._post(job, stuart.delivery_webhook(self, job, stage))

    def _post(self, job: dict[str, Any], body: dict[str, Any]) -> None:
        self.outbox.setdefault(job["client"], []).append({"body": body, "sending": False})

    def next_delivery(self, client_id: str) -> dict[str, Any] | None:
        with self._lock:
            queue = self.outbox.get(client_id) or []
            if not queue:
                return None
            queue[0]["sending"] = True
            return queue[0]

    def delivered(self, client_id: str, delivery: dict[str, Any], outcome: str) -> None:
        """`outcome`: sent, dropped (refused for good) or failed (try again later)."""
        with self._lock:
            self.stats[outcome] += 1
            queue = self.outbox.get(client_id) or []
            if outcome == "failed":
                delivery["sending"] = False
            elif delivery in queue:
                queue.remove(delivery)
