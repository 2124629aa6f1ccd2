"""Two beats (as on two machines) against one Redis: celery-redbeat's lock lets one send, so
each periodic task is sent once per period; when the sender dies the other takes over, still
never sending twice in a period."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import signal
from pathlib import Path

import pytest
import redis
from django.conf import settings

from tests.ops.conftest import process_env
from tests.support.helpers import wait_for

PERIOD = 2.0
SENT = re.compile(
    r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): INFO/MainProcess\] "
    r"Scheduler: Sending due task ops-test-tick "
)

# The broker is Redis; the beats write their heartbeat to the test database.
pytestmark = [pytest.mark.worker, pytest.mark.django_db]


def sends(log: Path) -> list[dt.datetime]:
    return [
        dt.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f")
        for m in map(SENT.match, log.read_text(errors="replace").splitlines())
        if m
    ]


def assert_once_per_period(times: list[dt.datetime]) -> None:
    times = sorted(times)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    # Beat may send a little early or late in its loop, never twice in one period.
    assert all(gap > PERIOD * 0.6 for gap in gaps), gaps


def test_two_beats_send_each_periodic_task_once_per_period(namespace, spawn):
    assert settings.CELERY_BEAT_SCHEDULER == "redbeat.RedBeatScheduler"
    env = process_env(
        namespace, DJANGO_SETTINGS_MODULE="tests.ops.beat_settings", BEAT_TEST_PERIOD=str(PERIOD)
    )
    beats = [spawn(f"beat-{n}", ["beat", "--loglevel=INFO"], env) for n in (1, 2)]
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)

    # ~16 s of both running: one sends about eight times, the other waits on the lock.
    wait_for(lambda: len(sends(beats[0][1]) + sends(beats[1][1])) >= 8, timeout=60, what="8 sends")
    counts = [len(sends(log)) for _, log in beats]
    assert sorted(counts)[0] == 0, f"both beats sent: {counts}"
    all_sends = sends(beats[0][1]) + sends(beats[1][1])
    assert_once_per_period(all_sends)
    # Every send reached the broker once (nobody consumes the test's default queue).
    wait_for(lambda: broker.llen(namespace) >= len(all_sends), timeout=10, what="messages")
    assert broker.llen(namespace) <= len(all_sends) + 1  # the next send may land meanwhile

    # The sender's machine dies: the other beat takes the lock when it expires and goes on.
    holder, standby = (0, 1) if counts[0] else (1, 0)
    os.killpg(beats[holder][0].pid, signal.SIGKILL)
    beats[holder][0].wait(timeout=10)
    wait_for(lambda: len(sends(beats[standby][1])) >= 3, timeout=60, what="the standby sending")
    assert_once_per_period(sends(beats[0][1]) + sends(beats[1][1]))
