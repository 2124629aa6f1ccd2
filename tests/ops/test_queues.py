"""Celery queues by work (config/queues.py): every task and job kind has its queue, messages
land there through the real Redis broker, a worker of one group never takes another group's
work, and a worker started without -Q (`make run`) consumes every queue."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import subprocess
import sys

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from config.celery import app
from config.queues import (
    JOB_GROUPS,
    QUEUE_GROUPS,
    RUN_JOB_TASK,
    TASK_GROUPS,
    all_queue_names,
    queue_name,
)
from fulfillment.models import Shipment
from merchant.models import Job
from merchant.services import jobs
from tests.factories.couriers import make_shipment
from tests.ops.conftest import start_worker
from tests.support.helpers import ROOT, wait_for


def registered_tasks() -> set[str]:
    app.loader.import_default_modules()
    return {name for name in app.tasks if not name.startswith("celery.")}


def queued_messages(namespace: str) -> dict[str, list[dict]]:
    """Every message waiting in the namespace's queues, by queue: (task, args, kwargs)."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    found: dict[str, list[dict]] = {}
    for queue in all_queue_names(namespace):
        for raw in broker.lrange(queue, 0, -1):
            message = json.loads(raw)
            body = message["body"]
            if message["properties"].get("body_encoding") == "base64":
                body = base64.b64decode(body)
            args, kwargs, _ = json.loads(body)
            found.setdefault(queue, []).append(
                {"task": message["headers"]["task"], "args": args, "kwargs": kwargs}
            )
    return found


def test_every_registered_task_has_its_queue():
    registered = registered_tasks()
    unrouted = registered - set(TASK_GROUPS)
    assert unrouted == set(), f"add these tasks to a group in config/queues.py: {unrouted}"
    stale = set(TASK_GROUPS) - registered
    assert stale == set(), f"config/queues.py names tasks no worker registers: {stale}"


def test_every_job_kind_has_its_queue():
    kinds = {kind for kind in jobs._registry if not kind.startswith("tests.")}
    assert kinds, "no job kinds registered"
    assert kinds - set(JOB_GROUPS) == set(), "add the job kind to JOB_GROUPS in config/queues.py"
    assert set(JOB_GROUPS) - kinds == set(), "JOB_GROUPS names a kind nobody registers"
    assert set(JOB_GROUPS.values()) <= set(QUEUE_GROUPS)


def test_every_beat_task_is_routed_off_the_planning_and_import_queues():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled <= set(TASK_GROUPS)
    # What beat sends is small and periodic: never behind a label batch, import or plan.
    assert {TASK_GROUPS[name] for name in scheduled}.isdisjoint({"labels", "imports", "planning"})


@pytest.mark.django_db
def test_tasks_and_jobs_land_in_their_queues_through_the_real_broker(
    namespace, merchant_a, django_capture_on_commit_callbacks
):
    """Nobody consumes the test's namespace: each message is read back from its Redis list."""
    for name in TASK_GROUPS:
        if name != RUN_JOB_TASK:
            app.send_task(name, args=[0])
    with django_capture_on_commit_callbacks(execute=True):
        started = {
            kind: jobs.start_job(merchant=merchant_a.merchant, kind=kind).pk for kind in JOB_GROUPS
        }

    found = queued_messages(namespace)
    by_task = {
        m["task"]: queue
        for queue, messages in found.items()
        for m in messages
        if m["task"] != RUN_JOB_TASK
    }
    assert by_task == {
        name: queue_name(group, namespace)
        for name, group in TASK_GROUPS.items()
        if name != RUN_JOB_TASK
    }
    job_queues = {
        m["args"][0]: queue
        for queue, messages in found.items()
        for m in messages
        if m["task"] == RUN_JOB_TASK
    }
    assert job_queues == {
        job_id: queue_name(JOB_GROUPS[kind], namespace) for kind, job_id in started.items()
    }
    assert queue_name("labels", namespace) == f"{namespace}.labels"
    assert queue_name("default", namespace) == namespace


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_label_batch_backlog_never_delays_tracking(namespace, make_merchant, spawn):
    """Twenty label batch jobs wait in the labels queue; the tracking worker (its own queue,
    as on its own machine) still plans the polls at once and takes none of them; then a
    labels worker takes them all."""
    merchant = make_merchant().merchant
    # Its courier is "manual" (no tracking API): the planner marks it unpollable at once.
    due = make_shipment(merchant, next_poll_at=timezone.now() - dt.timedelta(minutes=5))
    backlog = [
        jobs.start_job(merchant=merchant, kind="labels.batch", params={"batch_id": 0}).pk
        for _ in range(20)
    ]  # committed at once (no transaction open): their messages are in the labels queue
    from fulfillment.tracking.tasks import plan_tracking_polls

    plan_tracking_polls.delay()
    labels_queue = queue_name("labels", namespace)
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    assert broker.llen(labels_queue) == 20

    start_worker(spawn, namespace, "tracking", [queue_name("tracking", namespace)])
    wait_for(
        lambda: Shipment.objects.filter(pk=due.pk, next_poll_at__isnull=True).exists(),
        timeout=60,
        what="the tracking worker planning the due shipment",
    )
    assert broker.llen(queue_name("tracking", namespace)) == 0
    assert broker.llen(labels_queue) == 20  # none taken by the tracking worker
    assert Job.objects.filter(pk__in=backlog, state=Job.State.QUEUED).count() == 20

    start_worker(spawn, namespace, "labels", [labels_queue])
    wait_for(
        lambda: not Job.objects.filter(pk__in=backlog, state=Job.State.QUEUED).exists(),
        timeout=90,
        what="the labels worker running the backlog",
    )
    assert broker.llen(labels_queue) == 0


@pytest.mark.worker
@pytest.mark.django_db
def test_a_worker_without_queues_consumes_every_queue(namespace, spawn):
    """What `make run` starts (config/devrun.py: no -Q): one worker for every queue."""
    _, hostname = start_worker(spawn, namespace, "all", None)
    active = app.control.inspect(destination=[hostname], timeout=5).active_queues() or {}
    consumed = {queue["name"] for queue in active.get(hostname, [])}
    assert consumed == set(all_queue_names(namespace))
    assert len(consumed) == len(QUEUE_GROUPS) == 7


def test_the_queue_names_of_a_worker_command_line():
    """`python -m config.queues GROUP...`: the -Q value of a worker, under CELERY_QUEUE."""
    env = {**os.environ, "CELERY_QUEUE": "shop"}
    run = [sys.executable, "-m", "config.queues"]
    done = subprocess.run(
        [*run, "tracking", "default"], env=env, capture_output=True, text=True, cwd=ROOT
    )
    assert done.stdout.strip() == "shop.tracking,shop"
    done = subprocess.run([*run, "label"], env=env, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1 and "No queue group 'label'" in done.stderr
    assert "Traceback" not in done.stderr
