"""The backfill Job: a newly connected store's open orders of the last N days, taken in like
webhooks are (registered on import by IntegrationsConfig.ready). Idempotent: each order is one
PlatformOrder, so a retried job takes nothing in twice."""

from __future__ import annotations

from collections import Counter

from django.urls import reverse

from integrations.models import PlatformConnection
from integrations.platforms import intake
from integrations.platforms.base import PlatformError, get_connector
from integrations.platforms.connections import BACKFILL_JOB, backfill_since
from merchant.models import Job
from merchant.services.geocoding import GeocoderUnavailable
from merchant.services.jobs import JobFailed, Progress, TransientJobError, job_handler


@job_handler(BACKFILL_JOB, title="Import open orders from a store")
def backfill_orders(job: Job, progress: Progress) -> dict:
    connection = (
        PlatformConnection.objects.filter(
            pk=job.params.get("connection_id"), merchant_id=job.merchant_id
        )
        .exclude(state=PlatformConnection.State.DISCONNECTED)
        .first()
    )
    if connection is None:
        raise JobFailed("The store is no longer connected.")
    # From the job's creation, not its start: a retried job reads the same window.
    since = backfill_since(int(job.params.get("days", 0)), now=job.created_at)
    connector = get_connector(connection)
    outcomes: Counter[str] = Counter()
    try:
        for payload in connector.fetch_orders(since):
            done = intake.take_in(connection=connection, payload=payload, connector=connector)
            outcomes[done.outcome] += 1
            read = sum(outcomes.values())
            progress.advance(
                1, message=f"{read} orders read, {outcomes['exception']} need attention"
            )
    except PlatformError as error:
        if error.transient:
            raise TransientJobError(error.detail) from error
        raise JobFailed(error.detail) from error
    except GeocoderUnavailable as error:
        raise TransientJobError(str(error)) from error
    finally:
        connector.close()
    taken = outcomes["created"] + outcomes["updated"]
    message = f"{taken} orders in Nearbox"
    if outcomes["exception"]:
        message += f", {outcomes['exception']} need attention"
    if outcomes["ignored"] + outcomes["cancelled"]:
        message += f", {outcomes['ignored'] + outcomes['cancelled']} skipped (unpaid or cancelled)"
    return {
        **{k: outcomes[k] for k in ("created", "updated", "exception", "ignored", "cancelled")},
        "message": message,
        "url": reverse("platform_store", args=[connection.pk]),
    }
