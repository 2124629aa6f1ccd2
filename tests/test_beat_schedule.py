"""Beat's schedule (config/beat.py) names only tasks a worker has registered: a renamed or
moved task would otherwise be sent on every tick and never run."""

from __future__ import annotations

from django.conf import settings

from config.celery import app


def test_every_scheduled_task_is_a_registered_celery_task():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled, "beat schedules nothing"
    assert scheduled - set(app.tasks) == set()


# Every task name a message may already carry: messages queued by a release before a task's
# module moved must still find it (tasks moved into fulfillment/<domain>/tasks.py keep them).
REGISTERED_NAMES = {
    "fulfillment.tasks.book_shipment_task",
    "fulfillment.tasks.enforce_retention",
    "fulfillment.tasks.insert_booked_order",
    "fulfillment.tasks.plan_tracking_polls",
    "fulfillment.tasks.poll_tracking_batch",
    "fulfillment.tasks.poll_tracking_changes",
    "fulfillment.tasks.send_return_message",
    "fulfillment.tasks.send_tracking_notifications",
    "fulfillment.tasks.refresh_eta_tables",
    "fulfillment.tasks.refresh_eta_table",
    "fulfillment.tasks.train_address_risk",
    "fulfillment.tasks.train_address_risk_models",
    "fulfillment.tasks.fold_analytics_days",
    "fulfillment.tasks.rebuild_analytics",
    "lockers.tasks.expire_compartment_holds",
    "lockers.tasks.expire_uncollected_parcels",
    "lockers.tasks.remind_uncollected_parcels",
    "integrations.tasks.deliver_webhook",
    "integrations.tasks.queue_due_webhooks",
    "integrations.tasks.process_inbound_webhook",
    "integrations.tasks.push_platform_shipment",
    "integrations.tasks.queue_lost_inbound_webhooks",
    "merchant.tasks.record_beat_tick",
    "merchant.tasks.run_job_task",
}


def test_tasks_keep_the_names_queued_messages_carry():
    app.loader.import_default_modules()
    ours = {name for name in app.tasks if not name.startswith("celery.")}
    assert REGISTERED_NAMES - ours == set()
    # A new task is welcome; it joins the list above so that it too keeps its name.
    assert ours - REGISTERED_NAMES == set()


def test_a_moved_task_is_the_one_its_domain_enqueues():
    from fulfillment.shipments.tasks import book_shipment_task
    from fulfillment.tracking.tasks import poll_tracking_batch

    app.loader.import_default_modules()
    # shared_task hands out a proxy: compare what it stands for.
    registered = app.tasks["fulfillment.tasks.book_shipment_task"]
    assert book_shipment_task._get_current_object() is registered
    registered = app.tasks["fulfillment.tasks.poll_tracking_batch"]
    assert poll_tracking_batch._get_current_object() is registered
