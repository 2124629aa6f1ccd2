"""Which merchants have an active webhook endpoint, answered from the shared cache.

Tracking signals every status change of every shipment; nearly all of them concern merchants
with no endpoint, and a database query for each would make an ingest batch's queries grow with
its size. The set lives in the cache beside a generation token that every endpoint change
replaces after commit; a set filled under an older token is refilled, so a refill racing a
change can never keep a stale answer.
"""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import connection, transaction

from integrations.models import WebhookEndpoint

SET_SECONDS = 600


def _keys() -> tuple[str, str]:
    # Per database: test runs in parallel share one Redis, each with its own database.
    name = connection.settings_dict["NAME"]
    return f"webhooks:endpoints-gen:{name}", f"webhooks:merchants-with-endpoints:{name}"


def merchants_with_endpoints() -> frozenset[int]:
    gen_key, set_key = _keys()
    found = cache.get_many([gen_key, set_key])
    generation = found.get(gen_key)
    if generation is None:
        cache.add(gen_key, uuid.uuid4().hex, None)
        generation = cache.get(gen_key)
    cached = found.get(set_key)
    if cached is not None and cached[0] == generation:
        return cached[1]
    ids = frozenset(
        WebhookEndpoint.objects.filter(is_active=True).values_list("merchant_id", flat=True)
    )
    cache.set(set_key, (generation, ids), SET_SECONDS)
    return ids


def has_endpoints(merchant_id: int) -> bool:
    return merchant_id in merchants_with_endpoints()


def endpoints_changed() -> None:
    """Call when an endpoint is added, enabled, disabled or deleted: a new token now (this
    transaction's own reads see the change) and again after commit (another process may have
    refilled from the old rows in between)."""
    gen_key, _ = _keys()

    def renew() -> None:
        cache.set(gen_key, uuid.uuid4().hex, None)

    renew()
    transaction.on_commit(renew)
