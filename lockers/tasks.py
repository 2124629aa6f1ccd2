"""Periodic tasks of the pickup network (scheduled in CELERY_BEAT_SCHEDULE): thin, idempotent
wrappers over services, safe to run in several workers at once."""

from celery import shared_task
from django.db import OperationalError

from lockers.services import pickup, reservations

RETRY = dict(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)


@shared_task(ignore_result=True, **RETRY)
def expire_compartment_holds() -> int:
    return reservations.expire_holds()


@shared_task(ignore_result=True, **RETRY)
def expire_uncollected_parcels() -> int:
    return pickup.expire_uncollected()


@shared_task(ignore_result=True, **RETRY)
def remind_uncollected_parcels() -> int:
    return pickup.send_collection_reminders()
