"""The Redis side of the dirty queue: ids the receivers noted, folded straight from Redis.

Tracking's ingest notes a batch's orders ("merchant:order") with one SADD (no query, no
commit); other receivers note orders or shipment ids. The fold claims the noted ids by moving
them, in one atomic script, from the pending set to a claim set of its own, recorded with the
time in a claims hash. It applies the claimed orders, then deletes the claim. So an id is
always in the pending set or in a claim until its change is applied:
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
from collections.abc import Callable, Iterable, Sequence
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

# One round trip for the whole claim: read the claims hash (for stale claims), then for each
# kind move up to ARGV[1] chunks of ARGV[2] ids from its pending set KEYS[k] to its new claim
# set KEYS[k + 1], recorded in the hash KEYS[1] at time ARGV[3]. Atomic: no id is ever in
# neither set. Returns {the hash as a flat list, the ids moved for each kind}.
_CLAIM_SCRIPT = """
local result = {redis.call('HGETALL', KEYS[1])}
for k = 2, #KEYS, 2 do
  local moved = {}
  for _ = 1, tonumber(ARGV[1]) do
    local ids = redis.call('SPOP', KEYS[k], ARGV[2])
    if #ids == 0 then break end
    redis.call('SADD', KEYS[k + 1], unpack(ids))
    for _, id in ipairs(ids) do moved[#moved + 1] = id end
  end
  if #moved > 0 then redis.call('HSET', KEYS[1], KEYS[k + 1], ARGV[3]) end
  result[#result + 1] = moved
end
return result
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
    return claim_all((kind,), limit=limit, now=now).get(kind, [])


def claim_all(
    kinds: Sequence[str], *, limit: int = CLAIM_LIMIT, now: float | None = None
) -> dict[str, list[Claim]]:
    """`claim` for several kinds in one round trip to Redis (a stale claim costs two more)."""
    client, cache = _redis()
    if client is None:
        return {}
    now = time.time() if now is None else now
    claims_key = cache.make_and_validate_key(CLAIMS)
    pending = {kind: cache.make_and_validate_key(kind) for kind in kinds}
    fresh = {kind: f"{pending[kind]}:claim:{uuid.uuid4().hex}" for kind in kinds}
    keys = [claims_key, *(key for kind in kinds for key in (pending[kind], fresh[kind]))]
    chunks = max(1, -(-limit // CLAIM_CHUNK))
    found, *moved = client.register_script(_CLAIM_SCRIPT)(
        keys=keys, args=[chunks, CLAIM_CHUNK, now]
    )
    claims: dict[str, list[Claim]] = {kind: [] for kind in kinds}
    recorded = _texts(found)
    for key, at in zip(recorded[::2], recorded[1::2], strict=True):
        kind = next((k for k in kinds if key.startswith(f"{pending[k]}:claim:")), None)
        if kind is None or float(at) > now - STALE_CLAIM_SECONDS:
            continue
        client.hset(claims_key, key, now)  # taken over: not stale again for a while
        members = _texts(client.smembers(key))
        claims[kind].append(Claim(client, claims_key, pending[kind], key, members))
    for kind, ids in zip(kinds, moved, strict=True):
        if ids:
            claims[kind].append(Claim(client, claims_key, pending[kind], fresh[kind], _texts(ids)))
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
    claimed = claim_all((PENDING_ORDERS, PENDING_SHIPMENTS), limit=limit, now=now)
    unreleased = [made for claims in claimed.values() for made in claims]
    for kind, claims in claimed.items():
        if not claims:
            continue
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
            for made in unreleased:  # this kind's and the kinds not reached yet
                made.give_back()
            raise
        for made in claims:
            made.release()
            unreleased.remove(made)
    return touched
