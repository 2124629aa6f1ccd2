"""Faults the sandbox injects, switched by CLI flags or `POST /_faults` at run time.

Each fault fires for the next `count` API requests, then with probability `rate`:

    {"latency_ms": 200,
     "http_429": {"count": 2, "retry_after_s": 1},
     "http_5xx": {"count": 3, "status": 503},
     "timeout": {"count": 1, "sleep_s": 5},
     "truncated": {"rate": 0.1},
     "malformed": {"count": 1},
     "duplicate_events": true,
     "out_of_order_events": true}
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class Fault:
    rate: float = 0.0
    count: int = 0
    retry_after_s: int = 1  # http_429 only
    status: int = 503  # http_5xx only
    sleep_s: float = 5.0  # timeout only

    def fires(self, rng: random.Random) -> bool:
        if self.count > 0:
            self.count -= 1
            return True
        return self.rate > 0 and rng.random() < self.rate


@dataclass
class FaultConfig:
    latency_ms: int = 0
    http_429: Fault = field(default_factory=Fault)
    http_5xx: Fault = field(default_factory=Fault)
    timeout: Fault = field(default_factory=Fault)
    truncated: Fault = field(default_factory=Fault)
    malformed: Fault = field(default_factory=Fault)
    duplicate_events: bool = False
    out_of_order_events: bool = False


FAULT_NAMES = ("http_429", "http_5xx", "timeout", "truncated", "malformed")
FAULT_FIELDS = {f.name for f in fields(Fault)}


class Faults:
    """Thread-safe holder of the current FaultConfig."""

    def __init__(self, config: FaultConfig | None = None, *, seed: int = 0) -> None:
        self.config = config or FaultConfig()
        self._lock = threading.Lock()
        self._rng = random.Random(seed)

    def fires(self, name: str) -> Fault | None:
        with self._lock:
            fault: Fault = getattr(self.config, name)
            return fault if fault.fires(self._rng) else None

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return asdict(self.config)

    def reset(self) -> None:
        with self._lock:
            self.config = FaultConfig()

    def update(self, changes: Any) -> None:
        """Merge a JSON object into the config; ValueError names the first bad key."""
        if not isinstance(changes, dict):
            raise ValueError("the body must be a JSON object")
        with self._lock:
            config = self.config
            for key, value in changes.items():
                if key == "latency_ms":
                    if not isinstance(value, int) or value < 0:
                        raise ValueError("latency_ms must be a whole number >= 0")
                    config.latency_ms = value
                elif key in ("duplicate_events", "out_of_order_events"):
                    if not isinstance(value, bool):
                        raise ValueError(f"{key} must be true or false")
                    setattr(config, key, value)
                elif key in FAULT_NAMES:
                    setattr(config, key, parse_fault(key, value))
                else:
                    raise ValueError(f"unknown fault {key!r}")


def parse_fault(name: str, value: Any) -> Fault:
    if not isinstance(value, dict):
        raise ValueError(f'{name} must be an object like {{"count": 1}}')
    unknown = set(value) - FAULT_FIELDS
    if unknown:
        raise ValueError(f"{name}.{sorted(unknown)[0]} is not a fault setting")
    fault = Fault(**value)
    if not 0 <= float(fault.rate) <= 1 or int(fault.count) < 0:
        raise ValueError(f"{name}: rate must be within 0..1 and count >= 0")
    return fault
