"""Per-process copies of what every checkout request reads but rarely changes: the merchant's
rate book (courier accounts, services, areas, the rule), its checkout rules and its shipping
points.

As with the spatial index, each copy is tagged with the merchant's checkout version in the
shared cache. Saving or deleting a courier account, service, area, the shipping rule, a storage
point, a checkout or courier rule, or the merchant bumps that version once the transaction
commits (receivers connected in LockersConfig.ready), and every process reloads on its next
request. The rate book's on-time records change as parcels are delivered, without such a
write: a copy older than MAX_AGE_SECONDS is reloaded anyway.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from fulfillment.checkout.services.pricing import Rule
from fulfillment.couriers.services.rates import RateBook
from merchant.models import Merchant, StoragePoint
from merchant.ratelimit import redis_client

MAX_AGE_SECONDS = 300
VERSION_SECONDS = 60 * 60 * 24 * 30


def _version_key(merchant_id: int) -> str:
    return f"lockers:checkout-version:{merchant_id}"


def version_keys(merchant_id: int) -> tuple[str, str]:
    """The cache keys of the merchant's (network version, checkout version)."""
    from lockers.selectors.spatial import _version_key as network_key

    return network_key(merchant_id), _version_key(merchant_id)


def versions(merchant_id: int, found: dict[str, Any] | None = None) -> tuple[str, str]:
    """(network version, checkout version) of the merchant, in one cache round trip (none
    when the caller read `version_keys` already and passes what it `found`)."""
    cache = caches["default"]
    keys = version_keys(merchant_id)
    if found is None:
        found = _get_many(cache, keys)
    missing = [key for key in keys if key not in found]
    for key in missing:
        # First reader (or the cache lost it): any version no process has built from.
        cache.add(key, uuid.uuid4().hex, VERSION_SECONDS)
    if missing:
        found = cache.get_many(keys)
    return str(found.get(keys[0])), str(found.get(keys[1]))


def _get_many(cache: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    """cache.get_many, through this process's one Redis client when the cache is Redis (Django
    builds a new client per call, which costs more than the round trip)."""
    if not isinstance(cache, RedisCache):
        return cache.get_many(keys)
    full = [cache.make_and_validate_key(key) for key in keys]
    values = redis_client(cache).mget(full)
    return {
        key: cache._cache._serializer.loads(value)
        for key, value in zip(keys, values, strict=True)
        if value is not None
    }


def bump_checkout_version(merchant_id: int) -> None:
    """Mark the merchant's couriers, rule or points changed, once the transaction commits."""

    def bump() -> None:
        caches["default"].set(_version_key(merchant_id), uuid.uuid4().hex, VERSION_SECONDS)
        _local.pop(merchant_id, None)

    transaction.on_commit(bump)


# --- the per-process store ----------------------------------------------------------------


class _Held:
    __slots__ = ("book", "loaded_at", "points", "rules", "version")

    def __init__(self, version: str) -> None:
        self.version = version
        self.loaded_at = time.monotonic()
        self.book: RateBook | None = None
        self.points: list[StoragePoint] | None = None
        self.rules: tuple[Rule, ...] | None = None


_local: dict[int, _Held] = {}
_lock = threading.Lock()


def _held(merchant_id: int, version: str) -> _Held:
    held = _local.get(merchant_id)
    if (
        held is None
        or held.version != version
        or time.monotonic() - held.loaded_at > MAX_AGE_SECONDS
    ):
        held = _Held(version)
        _local[merchant_id] = held
    return held


def rate_book(merchant: Merchant, version: str) -> RateBook:
    """The merchant's rate book (fulfillment/couriers/selectors.py), loaded once per version."""
    from fulfillment.couriers.selectors import rate_book as load_rate_book

    held = _held(merchant.pk, version)
    if held.book is None:
        with _lock:
            if held.book is None:
                held.book = load_rate_book(merchant)
    return held.book


def checkout_rules(merchant: Merchant, version: str) -> tuple[Rule, ...]:
    """The merchant's active checkout rules (fulfillment/checkout), loaded once per version."""
    from fulfillment.checkout.selectors import active_rules

    held = _held(merchant.pk, version)
    if held.rules is None:
        held.rules = active_rules(merchant.pk)
    return held.rules


def shipping_points(merchant: Merchant, version: str) -> list[StoragePoint]:
    """The merchant's active in-use points with coordinates (read-only copies)."""
    held = _held(merchant.pk, version)
    if held.points is None:
        held.points = list(
            StoragePoint.objects.for_merchant(merchant)
            .filter(is_active=True, role=StoragePoint.Role.IN_USE, latitude__isnull=False)
            .order_by("pk")
        )
    return held.points


# --- invalidation --------------------------------------------------------------------------


def _changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    merchant_id = instance.pk if isinstance(instance, Merchant) else instance.merchant_id
    if merchant_id is not None:
        bump_checkout_version(merchant_id)


def _rules_reordered(sender: Any, merchant_id: int, **kwargs: Any) -> None:
    bump_checkout_version(merchant_id)


def connect_signals() -> None:
    from fulfillment.checkout.signals import rules_changed
    from fulfillment.models import (
        CheckoutRule,
        CourierAccount,
        CourierRule,
        CourierService,
        ServiceArea,
        ShippingSettings,
    )
    from merchant.models import PlacementPlan

    models = (CourierAccount, CourierService, ServiceArea, ShippingSettings, StoragePoint)
    for model in (*models, CheckoutRule, CourierRule):
        for signal in (post_save, post_delete):
            signal.connect(_changed, sender=model, dispatch_uid=f"checkout-{model.__name__}")
    rules_changed.connect(_rules_reordered, dispatch_uid="checkout-rules-reordered")
    post_save.connect(_changed, sender=Merchant, dispatch_uid="checkout-Merchant")
    # Accepting a placement plan opens its points with a queryset update (no per-row signal);
    # the plan row itself is saved in the same transaction.
    post_save.connect(_changed, sender=PlacementPlan, dispatch_uid="checkout-PlacementPlan")
