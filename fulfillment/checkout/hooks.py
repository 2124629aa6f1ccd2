"""Where lockers plugs the delivery-options answer into the checkout-rules preview, without
fulfillment importing lockers (fulfillment stands below it).

- DELIVERY_OPTIONS: f(*, merchant, country, postal_code, cart, weight_g, length_mm, width_mm,
  height_mm, limit, value_minor, tags) -> dict, the delivery-options API's own answer for that
  query (lockers/services/options.py `answer_for_query`, registered in LockersConfig.ready()).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DELIVERY_OPTIONS: list[Callable[..., dict]] = []


def delivery_options_answer(**query: Any) -> dict:
    if not DELIVERY_OPTIONS:
        raise LookupError("No delivery-options provider is installed (the lockers app).")
    return DELIVERY_OPTIONS[0](**query)
