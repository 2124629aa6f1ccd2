"""Fixtures of the operations tests: Celery workers and beats started as their own processes
(as on separate machines) on a queue namespace of the test's own, cleaned up afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.db import connection

from tests.support.helpers import ARTIFACTS, ROOT, wait_for


@pytest.fixture
def namespace(settings) -> Iterator[str]:
    """A default queue name of the test's own: its queues by work, its beat lock and schedule
    live under it, so the session's worker and other test runs never see them. Tasks sent
    in-process are routed under it too (config/queues.py reads it at each send)."""
    name = f"nearbox-ops-{uuid.uuid4().hex[:10]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = name
    yield name
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    for pattern in (f"{name}*", f"_kombu.binding.{name}*", f"_kombu.binding_permanent.{name}*"):
        for key in broker.scan_iter(pattern):
            broker.delete(key)


def process_env(namespace: str, **extra: str) -> dict[str, str]:
    """The environment of a worker or beat: the test database and the test's namespace."""
    db = connection.settings_dict  # the test database's, in a test marked django_db
    env = dict(os.environ)
    env.pop("NEARBOX_TRACKING_QUEUE", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": (
                f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
            ),
            "CELERY_QUEUE": namespace,
            "PYTHONPATH": str(ROOT),
            **extra,
        }
    )
    return env


@pytest.fixture
def spawn() -> Iterator[Callable[..., tuple[subprocess.Popen, Path]]]:
    """Start `celery -A config <args>` in its own process group; all stopped at teardown."""
    started: list[subprocess.Popen] = []
    logs = []

    def start(name: str, args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, Path]:
        ARTIFACTS.mkdir(exist_ok=True)
        log_path = ARTIFACTS / f"ops-{name}.log"
        log = open(log_path, "w")  # noqa: SIM115  (closed at teardown)
        logs.append(log)
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append(proc)
        return proc, log_path

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
    for proc in started:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for log in logs:
        log.close()


def start_worker(
    spawn: Callable, namespace: str, label: str, queues: list[str] | None
) -> tuple[subprocess.Popen, str]:
    """A worker consuming `queues` (None: no -Q, as `make run` starts it); waits for its ping."""
    from config.celery import app

    hostname = f"{namespace}-{label}@{os.uname().nodename}"
    args = ["worker", "--loglevel=INFO", "--concurrency=1", "--pool=prefork"]
    args += ["--without-gossip", "--without-mingle", f"--hostname={hostname}"]
    if queues is not None:
        args += ["-Q", ",".join(queues)]
    proc, log = spawn(f"worker-{label}", args, process_env(namespace))

    def answers() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"worker {label} exited: see {log}")
        return bool(app.control.ping(destination=[hostname], timeout=0.5))

    wait_for(answers, timeout=60, what=f"worker {label} answering a ping")
    return proc, hostname
