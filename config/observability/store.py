"""Counters and histograms of the whole installation, kept in Redis (REDIS_URL).

Tasks run in worker processes, maybe on machines with no web process: what they count is
written here, so the one /metrics endpoint of any web process shows it all. One hash per
metric family, one field per label set (HINCRBYFLOAT in one round trip). Without REDIS_URL
(`make run`) the Django cache holds them (read-modify-write: good enough on one machine).
A store that is down never fails the request or task that counts: the count is lost.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from functools import cache

import redis
from django.conf import settings
from django.core.cache import cache as django_cache

logger = logging.getLogger(__name__)
SEP = "\x1f"  # between label values in a field name (no task or queue name has it)
_warned = False


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


def _client() -> redis.Redis | None:
    url = getattr(settings, "REDIS_URL", "")
    return _redis(url) if url else None


def _key(family: str) -> str:
    # Under the default queue's name, like the queues: two installations (or test runs) on one
    # Redis keep their counts apart.
    return f"{settings.CELERY_TASK_DEFAULT_QUEUE}:metrics:{family}"


def field(*labels: str) -> str:
    return SEP.join(labels)


def labels_of(name: str) -> list[str]:
    return name.split(SEP)


def add(increments: dict[str, dict[str, float]]) -> None:
    """Add each {family: {field: amount}}; never raises."""
    global _warned
    try:
        client = _client()
        if client is None:
            for family, fields in increments.items():
                values = django_cache.get(_key(family)) or {}
                for name, amount in fields.items():
                    values[name] = values.get(name, 0) + amount
                django_cache.set(_key(family), values, timeout=None)
            return
        pipe = client.pipeline(transaction=False)
        for family, fields in increments.items():
            for name, amount in fields.items():
                pipe.hincrbyfloat(_key(family), name, amount)
        pipe.execute()
    except Exception as exc:
        if not _warned:
            _warned = True
            logger.warning("metrics store unavailable, counts are lost meanwhile: %s", exc)


def read(families: Sequence[str]) -> dict[str, dict[str, float]]:
    """{family: {field: value}}; raises when the store does not answer (the scrape says so)."""
    client = _client()
    if client is None:
        return {f: dict(django_cache.get(_key(f)) or {}) for f in families}
    pipe = client.pipeline(transaction=False)
    for family in families:
        pipe.hgetall(_key(family))
    return {
        family: {k.decode(): float(v) for k, v in raw.items()}
        for family, raw in zip(families, pipe.execute(), strict=True)
    }


def histogram_fields(
    labels: Sequence[str], value: float, buckets: Sequence[float]
) -> dict[str, float]:
    """The increments of one observation: its bucket (not cumulative), count and sum."""
    le = next((b for b in buckets if value <= b), math.inf)
    return {
        field(*labels, bucket_name(le)): 1,
        field(*labels, "count"): 1,
        field(*labels, "sum"): value,
    }


def bucket_name(le: float) -> str:
    return "+Inf" if math.isinf(le) else repr(float(le))
