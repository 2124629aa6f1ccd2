"""A Celery worker of our own (not the session fixture's): on its own queue, so that a test
can SIGKILL it mid-batch and start another without disturbing the rest of the suite."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[3]


def start_worker(queue: str, *, log: Path, extra_env: dict[str, str] | None = None,
                 concurrency: int = 2) -> subprocess.Popen:  # fmt: skip
    from config.celery import app

    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "tests.settings"),
        DATABASE_URL=(
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        NEARBOX_TRACKING_QUEUE=queue,
        PYTHONPATH=str(ROOT),
        **(extra_env or {}),
    )
    name = f"{queue}-{time.monotonic_ns()}@%h"
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO",
         f"--concurrency={concurrency}", "--pool=prefork", "--without-gossip", "--without-mingle",
         "--without-heartbeat", "-Q", queue, f"--hostname={name}"],
        cwd=ROOT, env=env, stdout=open(log, "a"), stderr=subprocess.STDOUT,  # noqa: SIM115
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited, see {log}")
        if app.control.ping(destination=[name.replace("%h", os.uname().nodename)], timeout=1):
            return proc
    proc.kill()
    raise RuntimeError("worker did not answer within 60 s")


def kill_worker(proc: subprocess.Popen) -> None:
    """SIGKILL the worker and its pool children at once (no warm shutdown, no acks)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def stop_worker(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            kill_worker(proc)
