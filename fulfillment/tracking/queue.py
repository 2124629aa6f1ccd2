"""Where tracking tasks go: NEARBOX_TRACKING_QUEUE, or Celery's default queue when empty."""

from django.conf import settings


def queue_options() -> dict:
    queue = getattr(settings, "NEARBOX_TRACKING_QUEUE", "")
    return {"queue": queue} if queue else {}
