"""Settings of the beats started by tests/ops/test_beat_lock.py: the test settings with one
periodic task every BEAT_TEST_PERIOD seconds and a short lock, so a standby takes over fast."""

import os

from tests.settings import *  # noqa: F403

BEAT_TEST_PERIOD = float(os.environ.get("BEAT_TEST_PERIOD", "2"))
CELERY_BEAT_SCHEDULE = {
    "ops-test-tick": {"task": "merchant.tasks.record_beat_tick", "schedule": BEAT_TEST_PERIOD},
}
CELERY_REDBEAT_LOCK_TIMEOUT = 4
CELERY_BEAT_MAX_LOOP_INTERVAL = 1
