"""Beat's schedule, all of it in one place: every periodic task, by its registered name.

settings.py builds CELERY_BEAT_SCHEDULE from this; tests/test_beat_schedule.py checks that each
name is a task the worker knows. `expires` drops a run that waited past its next one.
"""

from __future__ import annotations

from datetime import timedelta

from celery.schedules import crontab


def beat_schedule(*, heartbeat_seconds: int) -> dict[str, dict]:
    """The periodic tasks: the beat heartbeat (merchant), the pickup network's expiries and
    reminders (lockers), the tracking polls and ETA tables (fulfillment), webhook retries
    (integrations), the retention of the data that grows (fulfillment.housekeeping)."""
    return {
        "beat-heartbeat": {
            "task": "merchant.tasks.record_beat_tick",
            "schedule": timedelta(seconds=heartbeat_seconds),
            "options": {"expires": heartbeat_seconds},
        },
        "lockers-expire-holds": {
            "task": "lockers.tasks.expire_compartment_holds",
            "schedule": timedelta(seconds=60),
            "options": {"expires": 60},
        },
        "lockers-expire-uncollected": {
            "task": "lockers.tasks.expire_uncollected_parcels",
            "schedule": timedelta(minutes=15),
            "options": {"expires": 900},
        },
        "lockers-remind-uncollected": {
            "task": "lockers.tasks.remind_uncollected_parcels",
            "schedule": timedelta(minutes=15),
            "options": {"expires": 900},
        },
        "tracking-plan-polls": {
            "task": "fulfillment.tasks.plan_tracking_polls",
            "schedule": timedelta(seconds=60),
            "options": {"expires": 60},
        },
        "webhooks-queue-due": {
            "task": "integrations.tasks.queue_due_webhooks",
            "schedule": timedelta(seconds=30),
            "options": {"expires": 30},
        },
        "platforms-queue-lost-webhooks": {
            "task": "integrations.tasks.queue_lost_inbound_webhooks",
            "schedule": timedelta(minutes=2),
            "options": {"expires": 120},
        },
        "tracking-refresh-eta": {
            "task": "fulfillment.tasks.refresh_eta_tables",
            "schedule": timedelta(hours=6),
            "options": {"expires": 3600},
        },
        "analytics-fold-days": {
            "task": "fulfillment.tasks.fold_analytics_days",
            "schedule": timedelta(seconds=60),
            "options": {"expires": 60},
        },
        "address-risk-train-nightly": {
            "task": "fulfillment.tasks.train_address_risk_models",
            "schedule": crontab(hour=3, minute=17),
            "options": {"expires": 6 * 3600},
        },
        "housekeeping-retention": {
            "task": "fulfillment.tasks.enforce_retention",
            "schedule": timedelta(hours=1),
            "options": {"expires": 3600},
        },
    }
