import pytest
import redis
from django.conf import settings


@pytest.fixture(autouse=True)
def fresh_counters():
    """Rate-limit windows and network versions live in Redis: start each test without them."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter("*lockers:*"):
        client.delete(key)
    from lockers.selectors import spatial

    spatial._local.clear()
    yield
