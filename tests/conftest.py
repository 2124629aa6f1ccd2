"""Fixtures shared by the whole suite: merchants, signed-in clients, a real Celery worker
consuming Redis, and headless Chromium through Playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

from config.queues import all_queue_names
from merchant.services.merchants import NewMerchant, create_merchant
from tests.support.couriers import fresh_sandbox, sandbox, sandbox_http  # noqa: F401 (fixtures)
from tests.support.helpers import (
    ARTIFACTS,
    PASSWORD,
    ROOT,
    WORKER_LOG,
    signed_in_client,
    worker_name,
)

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def make_merchant(db) -> Callable[..., NewMerchant]:
    counter = iter(range(1, 10_000))

    def make(name: str | None = None, email: str | None = None) -> NewMerchant:
        n = next(counter)
        return create_merchant(
            name=name or f"Shop {n}",
            owner_email=email or f"owner{n}-{time.monotonic_ns()}@example.com",
            owner_password=PASSWORD,
            issue_keys=True,
        )

    return make


@pytest.fixture
def merchant_a(make_merchant) -> NewMerchant:
    return make_merchant("Shop A")


@pytest.fixture
def merchant_b(make_merchant) -> NewMerchant:
    return make_merchant("Shop B")


@pytest.fixture
def client_a(merchant_a) -> Client:
    return signed_in_client(merchant_a)


@pytest.fixture
def api_client_a(merchant_a) -> Client:
    return Client(headers={"Authorization": f"Bearer {merchant_a.secret_key.raw}"})


@pytest.fixture
def keep_connection() -> Iterator[None]:
    """Like Django's test client: a request made through the WSGI app itself keeps the test's
    database connection (and so its transaction) instead of closing it when it finishes."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# --- A real Celery worker process consuming the test Redis ---------------------------------


# Whether the session's worker runs: it then also takes the tasks a committing test enqueues.
SESSION_WORKER = {"running": False}


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker) -> Iterator[subprocess.Popen]:
    """`celery worker` in its own process, on the test database and this run's own queues
    (every queue by work, config/queues.py)."""
    from config.celery import app

    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=(
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        CELERY_EXTRA_IMPORTS="tests.support.jobs",
        PYTHONPATH=str(ROOT),
    )
    queues = all_queue_names()  # every queue by work, under this run's own default queue
    with app.connection_for_write() as conn:
        for queue in queues:
            app.amqp.queues[queue].bind(conn.default_channel).purge()
    # Job ids restart with each test database: forget run counters of earlier sessions.
    test_redis = redis.Redis.from_url(settings.REDIS_URL)
    for key in test_redis.scan_iter("nearbox-test:*"):
        test_redis.delete(key)
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(WORKER_LOG, "w")  # noqa: SIM115  (closed below)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",
            "--concurrency=2",
            "--pool=prefork",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            ",".join(queues),
            f"--hostname={worker_name().split('@')[0]}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"celery worker exited: see {WORKER_LOG}")
            if app.control.ping(destination=[worker_name()], timeout=1):
                break
        else:
            raise RuntimeError("celery worker did not answer a ping within 60 s")
        SESSION_WORKER["running"] = True
        yield proc
    finally:
        SESSION_WORKER["running"] = False
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def broker_redis() -> redis.Redis | None:
    """The broker's Redis, or None when the broker is not Redis."""
    url = settings.CELERY_BROKER_URL
    return redis.Redis.from_url(url) if url.startswith(("redis://", "rediss://")) else None


@pytest.fixture(autouse=True)
def tracking_tasks_stay_off_the_session_worker(request, settings, broker_redis) -> Iterator[None]:
    """Tests that drive tracking in-process (tracking, order status, pickup) queue its
    follow-up tasks where no worker listens: the session's worker would otherwise run them
    against rows the test is tearing down (and claim notifications the test sends itself).
    The queue is the test's own: deleted afterwards with the binding tables kombu keeps for it."""
    if "celery_worker" in request.fixturenames:
        yield
        return
    queue = f"nearbox-test-unconsumed-{uuid.uuid4().hex}"
    settings.NEARBOX_TRACKING_QUEUE = queue
    yield
    if broker_redis is not None:
        broker_redis.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


@pytest.fixture(autouse=True)
def worker_idle_before_teardown(request):
    """A test that used the worker ends only when the worker has finished that test's tasks,
    so the database flush after it never races with a task still writing (a deadlock). So does
    a test whose transactions commit while the session's worker runs: what it enqueued on
    commit (a shopper message, a booking) reaches that worker too."""
    marker = request.node.get_closest_marker("django_db")
    commits = bool(marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if "celery_worker" not in request.fixturenames and not (commits and SESSION_WORKER["running"]):
        yield
        return
    request.getfixturevalue("_django_db_helper")  # set up first, so torn down after this
    yield
    from config.celery import app

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        inspect = app.control.inspect(destination=[worker_name()], timeout=1)
        busy = [t for tasks in (inspect.active() or {}).values() for t in tasks]
        busy += [t for tasks in (inspect.reserved() or {}).values() for t in tasks]
        with app.connection_for_write() as conn:
            client = conn.default_channel.client
            waiting = sum(client.llen(queue) for queue in all_queue_names())
        if not busy and not waiting:
            return
        time.sleep(0.2)


# --- Headless Chromium (Debian's package) through Playwright --------------------------------


@pytest.fixture(scope="session")
def chromium_browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        raise RuntimeError("Chromium is missing: `make test` installs it (package chromium).")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium_browser):
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


# --- Scheduling under pytest-xdist (`make test`) ----------------------------------------------

# A module is one unit of work, handed to the processes in collection order (`make test` turns
# off xdist's own reordering by test count, which put these one-test modules last): the longest
# go first (minutes each, `--durations`), so that no process is left alone with one at the end.
LONGEST_FIRST = (
    "tests/test_default_setup.py",
    "tests/test_embedded_default.py",
    "tests/test_csp_browser.py",
    "tests/test_api_fuzz.py",
    "tests/ops/test_backup_restore.py",
    "tests/ops/test_beat_lock.py",
    "tests/fulfillment/tracking/test_polling_worker.py",
)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items) -> None:
    rank = {path: n for n, path in enumerate(LONGEST_FIRST)}
    # A stable sort: each module keeps its own order (and pytest-django's within it).
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))
