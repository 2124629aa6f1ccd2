"""Celery queues by work, all the routing in one place.

Each task goes to the queue of its kind of work, so a worker (or a machine) can be given one
kind: a label batch of 500 PDFs never sits in front of a tracking poll, and a slow shop
platform never holds up shopper notifications. settings.py builds CELERY_TASK_QUEUES from
QUEUE_GROUPS and sets CELERY_TASK_ROUTES to `route_task` below.

Queue names live under the deployment's default queue (CELERY_QUEUE, "nearbox"): the default
group is that queue itself, the others are `<CELERY_QUEUE>.<group>` ("nearbox.tracking"), so
two deployments (or two test runs) on one Redis never take each other's tasks. A worker run
without -Q consumes every queue (what `make run` does); one per group of work:

    celery -A config worker -Q nearbox.tracking,nearbox.webhooks,nearbox.notifications
    celery -A config worker -Q "$(python -m config.queues labels imports planning default)"

Every long Job runs as merchant.tasks.run_job_task; it goes to the queue of its job kind
(JOB_GROUPS), passed by start_job as the task's `kind` keyword. A task or a job kind missing
here goes to the default queue, and tests/ops/test_queues.py fails until it is placed.
"""

from __future__ import annotations

import sys
from typing import Any

DEFAULT = "default"

# Group -> registered task names. A new task is added to one group here.
QUEUE_GROUPS: dict[str, tuple[str, ...]] = {
    # Courier tracking: the poll planner, its batches, change feeds and the ETA tables.
    "tracking": (
        "fulfillment.tasks.plan_tracking_polls",
        "fulfillment.tasks.poll_tracking_batch",
        "fulfillment.tasks.poll_tracking_changes",
        "fulfillment.tasks.refresh_eta_tables",
        "fulfillment.tasks.refresh_eta_table",
    ),
    # Webhooks in (shop platforms' orders) and out (merchants' endpoints), platform write-back.
    "webhooks": (
        "integrations.tasks.process_inbound_webhook",
        "integrations.tasks.queue_lost_inbound_webhooks",
        "integrations.tasks.push_platform_shipment",
        "integrations.tasks.deliver_webhook",
        "integrations.tasks.queue_due_webhooks",
    ),
    # Messages to shoppers: tracking emails and SMS, return messages, locker pick-up reminders.
    "notifications": (
        "fulfillment.tasks.send_tracking_notifications",
        "fulfillment.tasks.send_return_message",
        "lockers.tasks.remind_uncollected_parcels",
    ),
    # Booking with couriers (which brings the label) and label batch jobs (JOB_GROUPS).
    "labels": ("fulfillment.tasks.book_shipment_task",),
    # CSV and store imports: jobs only (JOB_GROUPS).
    "imports": (),
    # Placement plans and own-fleet route plans (JOB_GROUPS), and a booked own-delivery order
    # inserted into today's routes.
    "planning": ("fulfillment.tasks.insert_booked_order",),
    # Small housekeeping: the beat heartbeat, locker expiries, data retention.
    DEFAULT: (
        "merchant.tasks.record_beat_tick",
        "lockers.tasks.expire_compartment_holds",
        "lockers.tasks.expire_uncollected_parcels",
        "fulfillment.tasks.enforce_retention",
        # Address risk (#20): the nightly fan-out and one merchant's training.
        "fulfillment.tasks.train_address_risk_models",
        "fulfillment.tasks.train_address_risk",
        # Analytics rollups (#20): the minute's fold of changed orders and rebuilds of a range.
        "fulfillment.tasks.fold_analytics_days",
        "fulfillment.tasks.rebuild_analytics",
    ),
}

RUN_JOB_TASK = "merchant.tasks.run_job_task"

# Job kind (merchant/services/jobs.py) -> group.
JOB_GROUPS: dict[str, str] = {
    "labels.batch": "labels",
    "desk.ship_run": "labels",  # the shipping desk: a run's labels and packing slips
    "orders.import_csv": "imports",
    "inventory.import_csv": "imports",
    "platforms.backfill": "imports",
    "placement.plan": "planning",
    "fleet.plan": "planning",  # own-fleet route plans (#16)
}

TASK_GROUPS: dict[str, str] = {
    name: group for group, names in QUEUE_GROUPS.items() for name in names
} | {RUN_JOB_TASK: DEFAULT}


def queue_name(group: str, namespace: str | None = None) -> str:
    """The queue of a group: the default queue itself, or `<default queue>.<group>`."""
    if group not in QUEUE_GROUPS:
        raise ValueError(f"No queue group {group!r}; the groups are {', '.join(QUEUE_GROUPS)}.")
    if namespace is None:
        from django.conf import settings

        namespace = settings.CELERY_TASK_DEFAULT_QUEUE
    return namespace if group == DEFAULT else f"{namespace}.{group}"


def all_queue_names(namespace: str | None = None) -> list[str]:
    return [queue_name(group, namespace) for group in QUEUE_GROUPS]


def task_queues(namespace: str) -> list:
    """CELERY_TASK_QUEUES: what a worker without -Q consumes (every group)."""
    from kombu import Exchange, Queue

    return [Queue(name, Exchange(name), routing_key=name) for name in all_queue_names(namespace)]


def group_of(name: str, kwargs: dict[str, Any] | None = None) -> str:
    """The group of a task by its registered name (and, for a job, its kind)."""
    if name == RUN_JOB_TASK:
        return JOB_GROUPS.get(str((kwargs or {}).get("kind") or ""), DEFAULT)
    return TASK_GROUPS.get(name, DEFAULT)


def route_task(
    name: str, args: Any, kwargs: dict[str, Any] | None, options: dict, task: Any = None, **_: Any
) -> dict[str, str]:
    """Celery router (CELERY_TASK_ROUTES). A queue given at the call (apply_async(queue=...),
    NEARBOX_TRACKING_QUEUE) still wins over this."""
    return {"queue": queue_name(group_of(name, kwargs))}


if __name__ == "__main__":
    # `python -m config.queues tracking webhooks` prints the -Q argument for those groups
    # (all of them without arguments), under CELERY_QUEUE as settings.py reads it.
    import os

    namespace = os.environ.get("CELERY_QUEUE", "nearbox")
    try:
        print(",".join(queue_name(g, namespace) for g in (sys.argv[1:] or list(QUEUE_GROUPS))))
    except ValueError as error:
        sys.exit(str(error))
