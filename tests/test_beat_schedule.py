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
