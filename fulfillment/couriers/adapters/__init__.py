"""Courier integrations: one adapter per courier behind one interface (CONVENTIONS.md §8).

    from fulfillment.couriers.adapters import get_adapter, CourierHttp
    http = CourierHttp.for_account(str(account.pk), requests_per_second=5)
    adapter = get_adapter("dhl", credentials={"api_key": ...}, http=http)
    results = adapter.track(["00340434292135100124"])

Modules: types.py (normalised statuses, events, results, requests), errors.py, base.py (the
interface and registry), http.py + ratelimit.py (the shared HTTP layer), one module per
courier, and sandbox.py for the courier sandbox (a dev tool in devtools/courier_sandbox/, run
with `python -m devtools.courier_sandbox`).
This package imports nothing from Django models: it is safe in any process.
"""

from fulfillment.couriers.adapters.base import Capabilities, CourierAdapter, get_adapter
from fulfillment.couriers.adapters.http import CourierHttp, RetryPolicy
from fulfillment.couriers.adapters.types import *  # noqa: F403
from fulfillment.couriers.adapters.types import __all__ as _types_all

__all__ = [
    *_types_all,
    "Capabilities",
    "CourierAdapter",
    "CourierHttp",
    "RetryPolicy",
    "get_adapter",
]
