import subprocess
import sys
import time
import uuid

import pytest
import redis
from django.conf import settings

from fulfillment.couriers.adapters.errors import RateLimited
from fulfillment.couriers.adapters.ratelimit import RedisRateLimiter
from tests.support.couriers import REPO, SANDBOX_KEY


def test_two_worker_processes_share_one_accounts_budget(fresh_sandbox):
    account = f"test-{uuid.uuid4().hex}"
    rate, seconds = 10, 2.0
    start = time.time() + 1.5  # both processes are up and waiting by then
    command = [
        sys.executable, "-m", "tests.fulfillment.couriers.adapters.rate_worker", fresh_sandbox.url,
        SANDBOX_KEY, account, str(rate), settings.REDIS_URL, str(start), str(seconds),
    ]  # fmt: skip
    workers = [
        subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    counts = [int(worker.communicate(timeout=30)[0].strip()) for worker in workers]
    budget = 1 + rate * seconds  # one token in the bucket at the start, then 10 per second
    # Never more than one account's budget (two budgets would allow 42); on a loaded machine the
    # two processes may not use all of it in the 2 s, so the floor is loose.
    assert budget / 2 <= sum(counts) <= budget + 1, counts
    assert min(counts) >= 3, counts  # both workers really took part
    assert fresh_sandbox.stats()["GET /track"] >= sum(counts)


def test_an_exhausted_budget_waits_for_the_next_token_then_gives_up_past_max_wait():
    account = f"test-{uuid.uuid4().hex}"
    bucket = redis.Redis.from_url(settings.REDIS_URL)
    pauses: list[float] = []

    def let_time_pass(seconds: float) -> None:
        # Instead of sleeping, move the bucket's last refill back: for the Lua script (which
        # reads Redis's clock) exactly `seconds` have passed, however slow this machine is.
        pauses.append(seconds)
        ts = float(bucket.hget(limiter.key, "ts"))
        bucket.hset(limiter.key, "ts", f"{ts - seconds * 1_000_000:.0f}")

    limiter = RedisRateLimiter(
        account_id=account,
        rate=0.1,
        redis_url=settings.REDIS_URL,
        max_wait_s=60,
        sleep=let_time_pass,
    )
    limiter.acquire()
    assert pauses == []  # the first token is in the bucket
    limiter.acquire()
    assert len(pauses) == 1, pauses  # waited once, for the next token (10 s at 0.1 per second)
    assert 5 < pauses[0] <= 10.005, pauses
    assert limiter.try_acquire() > 0  # and took it: the bucket is empty again
    impatient = RedisRateLimiter(
        account_id=account, rate=0.1, redis_url=settings.REDIS_URL, max_wait_s=0.5
    )
    with pytest.raises(RateLimited, match="budget"):
        impatient.acquire()
    bucket.delete(limiter.key)
