"""The Redis side of the dirty queue: ids the receivers noted, folded straight from Redis.

Tracking's ingest notes a batch of changed shipments with one SADD (no query, no commit). The
fold claims the noted ids by moving them, in one atomic script, from the pending set to a claim
set of its own, recorded with the time in a claims hash. It applies the claimed orders, then
deletes the claim. So an id is always in the pending set or in a claim until its change is
applied:
- a change noted while the fold runs lands in the pending set again, for the next fold;
- a fold that fails puts its claim back into the pending set;
- a claim left by a fold that died (the worker killed) is taken over by the first fold after
  STALE_CLAIM_SECONDS.
Applying an order twice adds nothing the second time (rollups.apply_orders compares with the
stored contribution), so a claim taken over while its first fold still ran costs time, never
counts.

Without Redis (the SQLite `make run`, the database cache) the receivers mark the orders dirty in
the database at once (services/dirty.py), and this module does nothing.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from fulfillment.analytics.services.rollups import apply_orders
from fulfillment.models import Order, Shipment
from merchant.models import Merchant
from merchant.rawsql import id_set

PENDING_SHIPMENTS = "analytics:pending-shipments"  # shipment ids
PENDING_ORDERS = "analytics:pending-orders"  # "merchant id:order id", or an order id alone
CLAIMS = "analytics:claims"  # hash: claim set key -> when it was claimed (unix seconds)
CLAIM_CHUNK = 1_000  # ids moved per SPOP inside the script (Lua's unpack has a stack limit)
CLAIM_LIMIT = 50_000  # ids claimed per kind and fold; the rest wait for the next minute
STALE_CLAIM_SECONDS = 600  # a claim this old belongs to a fold that died
ORDER_BATCH = 1_000  # orders per apply (one transaction, a few queries)

# Move up to ARGV[1] chunks of ARGV[2] ids from the pending set KEYS[1] to the claim set KEYS[2]
# and record the claim in the hash KEYS[3] at time ARGV[3]. Atomic: no id is ever in neither set.
_CLAIM_SCRIPT = """
local moved = {}
for _ = 1, tonumber(ARGV[1]) do
  local ids = redis.call('SPOP', KEYS[1], ARGV[2])
  if #ids == 0 then break end
  redis.call('SADD', KEYS[2], unpack(ids))
  for _, id in ipairs(ids) do moved[#moved + 1] = id end
end
if #moved > 0 then redis.call('HSET', KEYS[3], KEYS[2], ARGV[3]) end
return moved
"""


def _redis() -> tuple[Any, RedisCache | None]:
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        return None, None
    from merchant.ratelimit import redis_client

    return redis_client(cache), cache


def note(kind: str, members: Iterable[int | str]) -> bool:
    """Add members to the pending set of `kind` (PENDING_ORDERS or PENDING_SHIPMENTS) with one
    SADD; False when the cache is not Redis (the caller marks them in the database instead)."""
    client, cache = _redis()
    if client is None:
        return False
    values = list(members)
    if values:
        client.sadd(cache.make_and_validate_key(kind), *values)
    return True


def order_member(order_id: int, merchant_id: int | None) -> str:
    """An order's member of PENDING_ORDERS: with its merchant when known, so the fold needs no
    query to group the orders by merchant."""
    return f"{int(merchant_id)}:{int(order_id)}" if merchant_id is not None else str(int(order_id))


def pending(kind: str) -> int:
    """How many ids of `kind` wait in Redis (0 without Redis)."""
    client, cache = _redis()
    return 0 if client is None else int(client.scard(cache.make_and_validate_key(kind)))


class Claim:
    """Ids of one kind moved out of the pending set, applied, then released or given back."""

    def __init__(self, client: Any, claims_key: str, pending_key: str, key: str, ids: list[str]):
        self.client, self.claims_key, self.pending_key = client, claims_key, pending_key
        self.key, self.ids = key, ids

    def release(self) -> None:
        """The claimed changes are applied: forget them (one round trip)."""
        pipe = self.client.pipeline(transaction=False)
        pipe.delete(self.key)
        pipe.hdel(self.claims_key, self.key)
        pipe.execute()

    def give_back(self) -> None:
        """The fold failed: the ids go back to the pending set for the next fold."""
        if self.ids:
            self.client.sadd(self.pending_key, *self.ids)
        self.release()


def claim(kind: str, *, limit: int = CLAIM_LIMIT, now: float | None = None) -> list[Claim]:
    """Claim up to `limit` pending ids of `kind`, and any stale claim of `kind` a dead fold
    left. Returns the claims (none without Redis or with nothing pending)."""
    client, cache = _redis()
    if client is None:
        return []
    now = time.time() if now is None else now
    claims_key = cache.make_and_validate_key(CLAIMS)
    pending_key = cache.make_and_validate_key(kind)
    prefix = f"{pending_key}:claim:"
    claims: list[Claim] = []
    for raw_key, raw_at in client.hgetall(claims_key).items():
        key = raw_key.decode() if isinstance(raw_key, bytes) else str(raw_key)
        if not key.startswith(prefix) or float(raw_at) > now - STALE_CLAIM_SECONDS:
            continue
        client.hset(claims_key, key, now)  # taken over: not stale again for a while
        claims.append(Claim(client, claims_key, pending_key, key, _texts(client.smembers(key))))
    key = f"{prefix}{uuid.uuid4().hex}"
    chunks = max(1, -(-limit // CLAIM_CHUNK))
    moved = client.eval(_CLAIM_SCRIPT, 3, pending_key, key, claims_key, chunks, CLAIM_CHUNK, now)
    if moved:
        claims.append(Claim(client, claims_key, pending_key, key, _texts(moved)))
    return claims


def _texts(members: Iterable[bytes | str]) -> list[str]:
    return [m.decode() if isinstance(m, bytes) else str(m) for m in members]


def _orders_of(kind: str, members: list[str]) -> list[tuple[int, int]]:
    """(merchant id, order id) of the noted members: pairs as they are, one query for the rest.
    A member that is not a number (written by hand) is dropped."""
    pairs: list[tuple[int, int]] = []
    ids: list[int] = []
    for member in members:
        merchant_id, _, order_id = member.rpartition(":")
        try:
            if merchant_id:
                pairs.append((int(merchant_id), int(order_id)))
            else:
                ids.append(int(order_id))
        except ValueError:
            continue
    if not ids:
        return pairs
    if kind == PENDING_ORDERS:
        return pairs + list(
            Order.objects.filter(pk__in=id_set(ids)).values_list("merchant_id", "pk")
        )
    shipments = Shipment.objects.filter(pk__in=id_set(ids))
    return pairs + list(shipments.values_list("merchant_id", "order_id").distinct())


def fold_noted(
    *,
    apply: Callable[..., set[dt.date]] = apply_orders,
    limit: int = CLAIM_LIMIT,
    now: float | None = None,
) -> set[tuple[int, dt.date]]:
    """Apply the orders noted in Redis; returns the (merchant id, day) pairs whose rows changed.
    Each claim is released only after its orders are applied (committed); on an error every
    claim not yet released goes back to the pending set and the error is raised."""
    touched: set[tuple[int, dt.date]] = set()
    for kind in (PENDING_ORDERS, PENDING_SHIPMENTS):
        claims = claim(kind, limit=limit, now=now)
        try:
            by_merchant: dict[int, set[int]] = defaultdict(set)
            for made in claims:
                for step in range(0, len(made.ids), 10 * ORDER_BATCH):
                    for merchant_id, order_id in _orders_of(
                        kind, made.ids[step : step + 10 * ORDER_BATCH]
                    ):
                        by_merchant[merchant_id].add(order_id)
            for merchant_id, order_ids in by_merchant.items():
                merchant = Merchant(pk=merchant_id)  # apply reads it under its lock
                ordered = sorted(order_ids)
                for at in range(0, len(ordered), ORDER_BATCH):
                    days = apply(merchant=merchant, order_ids=ordered[at : at + ORDER_BATCH])
                    touched |= {(merchant_id, day) for day in days}
        except BaseException:
            for made in claims:
                made.give_back()
            raise
        for made in claims:
            made.release()
    return touched
