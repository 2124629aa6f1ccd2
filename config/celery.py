"""The Celery application: configuration comes from Django settings (CELERY_*)."""

import gc
import os

from celery import Celery
from celery.signals import task_prerun, worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("nearbox")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect(weak=False)
def _redbeat_settings_by_their_own_names(sender: Celery, **_: object) -> None:
    """celery-redbeat asks whether its settings are there by their plain names, which the
    CELERY_ namespace hides: it read them all the same, but warned at each start that
    redbeat_redis_url was missing. Copy them under their plain names."""
    for key in ("redbeat_redis_url", "redbeat_key_prefix", "redbeat_lock_timeout"):
        value = sender.conf.get(key)
        if value is not None:
            sender.conf[key] = value


@task_prerun.connect(weak=False)
def _drop_unusable_connections(task=None, **_: object) -> None:
    """With CELERY_DB_REUSE_MAX a worker keeps its connection between tasks: drop it first
    when it broke or outlived CONN_MAX_AGE, as Django does at the start of each request.
    Not for eager tasks (they run inside the caller's transaction)."""
    if task is not None and not getattr(task.request, "is_eager", False):
        from django.db import close_old_connections

        close_old_connections()


def freeze_startup_heap(**_: object) -> None:
    """Move every object alive now (Django's apps and models, URL conf, modules: about 200,000
    in a worker) to the collector's permanent generation. They live as long as the process,
    but each full collection walked them all again: the analytics fold spent half its time
    there (bench/analytics.py). In the prefork pool's children it also keeps the collector
    from writing to, and so copying, the pages they share with the parent."""
    gc.freeze()


# Sent once Django is set up and the task modules are imported (before the pool forks), then
# in each pool child after its own start-up.
worker_init.connect(freeze_startup_heap, weak=False)
worker_process_init.connect(freeze_startup_heap, weak=False)
