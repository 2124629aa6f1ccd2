"""Each test starts without cached networks or risk models: ids repeat across tests on SQLite,
and both caches are per process (lockers/selectors/spatial.py, fulfillment/risk/services.py)."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings

# The widget's shop page on its own origin and its pickup network, as the lockers tests use them.
from tests.lockers.conftest import network, shop_pages  # noqa: F401


@pytest.fixture(autouse=True)
def fresh_caches():
    from fulfillment.risk import services
    from lockers.selectors import spatial

    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter("*lockers:*"):
        client.delete(key)
    spatial._local.clear()
    services._cache.clear()
    yield
    services._cache.clear()
