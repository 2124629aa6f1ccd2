import subprocess
import sys
import time
import uuid

import pytest
import redis
from django.conf import settings

from fulfillment.couriers.errors import RateLimited
from fulfillment.couriers.ratelimit import RedisRateLimiter

from .conftest import REPO, SANDBOX_KEY


def test_two_worker_processes_share_one_accounts_budget(fresh_sandbox):
    account = f"test-{uuid.uuid4().hex}"
    rate, seconds = 10, 2.0
    start = time.time() + 1.5  # both processes are up and waiting by then
    command = [
        sys.executable, "-m", "tests.fulfillment.couriers.rate_worker", fresh_sandbox.url,
        SANDBOX_KEY, account, str(rate), settings.REDIS_URL, str(start), str(seconds),
    ]  # fmt: skip
    workers = [
        subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    counts = [int(worker.communicate(timeout=30)[0].strip()) for worker in workers]
    budget = 1 + rate * seconds  # one token in the bucket at the start, then 10 per second
    assert abs(sum(counts) - budget) <= 1, counts
    assert min(counts) >= 3, counts  # both workers really took part
    assert fresh_sandbox.stats()["GET /track"] >= sum(counts)


def test_an_exhausted_budget_waits_for_the_next_token_then_gives_up_past_max_wait():
    account = f"test-{uuid.uuid4().hex}"
    limiter = RedisRateLimiter(account_id=account, rate=2, redis_url=settings.REDIS_URL)
    limiter.acquire()
    started = time.monotonic()
    limiter.acquire()
    assert 0.4 <= time.monotonic() - started < 0.7  # half a second at 2 per second
    impatient = RedisRateLimiter(
        account_id=account, rate=0.2, redis_url=settings.REDIS_URL, max_wait_s=0.5
    )
    impatient.try_acquire()
    with pytest.raises(RateLimited, match="budget"):
        impatient.acquire()
    redis.Redis.from_url(settings.REDIS_URL).delete(limiter.key)
