"""One worker process hammering the sandbox through CourierHttp (used by test_rate_limit.py).

    python -m tests.fulfillment.couriers.adapters.rate_worker \
        URL KEY ACCOUNT RATE REDIS_URL START SECONDS

Prints how many requests it was granted a token for between START and START + SECONDS.
"""

from __future__ import annotations

import sys
import time

from fulfillment.couriers.adapters.http import CourierHttp, RetryPolicy
from fulfillment.couriers.adapters.ratelimit import RedisRateLimiter


class CountingLimiter(RedisRateLimiter):
    """Notes when each token was granted, so that a grant after the window is not counted."""

    grants: list[float]

    def acquire(self) -> None:
        super().acquire()
        self.grants.append(time.time())


def main() -> None:
    url, key, account, rate, redis_url, start, seconds = sys.argv[1:8]
    limiter = CountingLimiter(account_id=account, rate=float(rate), burst=1, redis_url=redis_url)
    limiter.grants = []
    http = CourierHttp(account_id=account, rate_limiter=limiter, policy=RetryPolicy(max_attempts=1))
    end = float(start) + float(seconds)
    time.sleep(max(0.0, float(start) - time.time()))
    while time.time() < end:
        http.request(
            "GET",
            f"{url}/track/shipments",
            courier="sandbox",
            params={"trackingNumber": "SBX1"},
            headers={"DHL-API-Key": key},
        )
    print(sum(1 for granted in limiter.grants if granted <= end))


if __name__ == "__main__":
    main()
