"""The sandbox's shipments, their journeys on the accelerated clock, and the change log.

State (shipments, change log, cursors) is kept in memory and, when a state file is given,
written to it as JSON after every change (atomic replace), so a restart keeps shipments.
Events become visible when `created_at + offset / speed` has passed; `materialise` appends
newly visible events to the change log, which feeds `/track/changes` and the webhooks.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from pathlib import Path
from typing import Any

from devtools.courier_sandbox.format import dhl_event, dhl_shipment
from devtools.courier_sandbox.timeline import Shares, Step, delivery_estimate, plan_journey


class ShipmentConflict(Exception):
    """The shipment cannot be cancelled any more (already picked up)."""


class SandboxStore:
    def __init__(
        self,
        *,
        seed: int = 1,
        speed: float = 60.0,
        shares: Shares | None = None,
        state_file: Path | None = None,
        clock: Any = time.time,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.seed, self.speed, self.shares = seed, speed, shares or Shares()
        self.state_file = state_file
        self.clock = clock
        self._lock = threading.RLock()
        self._plans: dict[str, list[Step]] = {}
        self.state: dict[str, Any] = {
            "counter": 0,
            "shipments": {},
            "idempotency": {},
            "changes": [],
            "webhook_cursor": 0,
        }
        if state_file and state_file.exists():
            self.state.update(json.loads(state_file.read_text()))

    # --- persistence -------------------------------------------------------------------------
    def _save(self) -> None:
        if not self.state_file:
            return
        tmp = self.state_file.with_suffix(self.state_file.suffix + ".tmp")
        tmp.write_text(json.dumps(self.state))
        os.replace(tmp, self.state_file)

    # --- shipments ---------------------------------------------------------------------------
    def create(self, data: dict[str, Any], idempotency_key: str) -> tuple[dict[str, Any], bool]:
        """(shipment, created): the same idempotency key returns the first shipment again."""
        with self._lock:
            if idempotency_key and idempotency_key in self.state["idempotency"]:
                return self.state["shipments"][self.state["idempotency"][idempotency_key]], False
            self.state["counter"] += 1
            rng = random.Random(f"{self.seed}:number:{self.state['counter']}")
            number = f"SBX{rng.randrange(10**9, 10**10)}"
            while number in self.state["shipments"]:
                number = f"SBX{rng.randrange(10**9, 10**10)}"
            shipment = {
                **data,
                "tracking_number": number,
                "created_at": self.clock(),
                "cancelled": False,
                "emitted": 0,
            }
            self.state["shipments"][number] = shipment
            if idempotency_key:
                self.state["idempotency"][idempotency_key] = number
            self._save()
            return shipment, True

    def get(self, number: str) -> dict[str, Any] | None:
        shipment = self.state["shipments"].get(number)
        return shipment if shipment and not shipment["cancelled"] else None

    def cancel(self, number: str) -> bool:
        """False when unknown; ShipmentConflict once the parcel has been picked up."""
        with self._lock:
            shipment = self.get(number)
            if shipment is None:
                return False
            if len(self.visible_steps(shipment)) > 1:
                raise ShipmentConflict(f"{number} has already been picked up")
            shipment["cancelled"] = True
            self._save()
            return True

    def instruct(self, number: str, **instruction: Any) -> bool:
        """A redirect (`redirect=address`) or a new day (`delivery_date=...`) for a parcel not
        yet delivered: False when unknown; ShipmentConflict once it is delivered."""
        with self._lock:
            shipment = self.get(number)
            if shipment is None:
                return False
            steps = self.visible_steps(shipment)
            if steps and steps[-1].status_code == "delivered":
                raise ShipmentConflict(f"{number} has already been delivered")
            shipment.setdefault("instructions", {}).update(instruction)
            self._save()
            return True

    # --- the accelerated clock ---------------------------------------------------------------
    def plan(self, number: str) -> list[Step]:
        if number not in self._plans:
            self._plans[number] = plan_journey(number, seed=self.seed, shares=self.shares)[1]
        return self._plans[number]

    def real_time(self, shipment: dict[str, Any], offset_s: float) -> float:
        return shipment["created_at"] + offset_s / self.speed

    def visible_steps(self, shipment: dict[str, Any]) -> list[Step]:
        now = self.clock()
        steps = self.plan(shipment["tracking_number"])
        return [s for s in steps if self.real_time(shipment, s.offset_s) <= now]

    def estimate(self, shipment: dict[str, Any]) -> tuple[float, float]:
        start, end = delivery_estimate(self.plan(shipment["tracking_number"]))
        return self.real_time(shipment, start), self.real_time(shipment, end)

    def tracking_payload(self, shipment: dict[str, Any]) -> dict[str, Any]:
        events = [
            dhl_event(shipment, step, self.real_time(shipment, step.offset_s))
            for step in reversed(self.visible_steps(shipment))
        ]
        return dhl_shipment(shipment, events, self.estimate(shipment))

    # --- change log --------------------------------------------------------------------------
    def materialise(self) -> None:
        """Append every newly visible event to the change log, in time order."""
        with self._lock:
            fresh = []
            for shipment in self.state["shipments"].values():
                if shipment["cancelled"]:
                    continue
                visible = self.visible_steps(shipment)
                for step in visible[shipment["emitted"] :]:
                    when = self.real_time(shipment, step.offset_s)
                    fresh.append(
                        (when, shipment["tracking_number"], dhl_event(shipment, step, when))
                    )
                shipment["emitted"] = len(visible)
            if not fresh:
                return
            changes = self.state["changes"]
            for _, number, event in sorted(fresh, key=lambda item: item[0]):
                changes.append(
                    {"cursor": len(changes) + 1, "trackingNumber": number, "event": event}
                )
            self._save()

    def changes_since(self, cursor: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        self.materialise()
        with self._lock:
            batch = self.state["changes"][cursor : cursor + limit]
            return batch, (batch[-1]["cursor"] if batch else cursor)

    def webhook_batch(self) -> list[dict[str, Any]]:
        self.materialise()
        with self._lock:
            return self.state["changes"][self.state["webhook_cursor"] :]

    def webhook_sent(self, cursor: int) -> None:
        with self._lock:
            self.state["webhook_cursor"] = max(self.state["webhook_cursor"], cursor)
            self._save()
