"""Job handlers that exist only in the test worker (imported through CELERY_EXTRA_IMPORTS).

Each run of a handler is counted in Redis, so a test can prove that a duplicate delivery or a
retry did not run the work twice.
"""

import time

import redis
from django.conf import settings

from merchant.services.jobs import TransientJobError, job_handler


def runs_key(job_id: int) -> str:
    return f"nearbox-test:job:{job_id}:runs"


def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


@job_handler("tests.count", title="Count to N")
def count(job, progress):
    steps = int(job.params.get("steps", 5))
    progress.set_total(steps, "Counting")
    for step in range(steps):
        time.sleep(float(job.params.get("sleep", 0.2)))
        progress.advance(1, f"Counted {step + 1}")
    _redis().incr(runs_key(job.pk))
    return {"message": f"Counted to {steps}", "counted": steps}


@job_handler("tests.flaky", title="Fails once, then works")
def flaky(job, progress):
    progress.set_total(1)
    if job.attempts == 1:
        raise TransientJobError("the test service is briefly down")
    progress.advance(1)
    _redis().incr(runs_key(job.pk))
    return {"message": "Worked on attempt 2"}
