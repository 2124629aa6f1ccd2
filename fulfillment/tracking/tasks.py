"""Celery tasks of tracking: the poll planner and its batches, change feeds, shopper
notifications and the ETA tables. Registered under their first names (fulfillment.tasks.*) so
queued tasks and beat entries from before the move still resolve."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True, name="fulfillment.tasks.plan_tracking_polls")
def plan_tracking_polls(lease_s: float | None = None) -> int:
    """Beat, every minute: claim due shipments and fan out batches per courier account."""
    import datetime as dt

    from fulfillment.tracking.polling import plan_polls

    lease = dt.timedelta(seconds=lease_s) if lease_s else None
    return plan_polls(lease=lease).claimed


@shared_task(
    acks_late=True, ignore_result=True, max_retries=0, name="fulfillment.tasks.poll_tracking_batch"
)
def poll_tracking_batch(account_id: int, shipment_ids: list[int]) -> int:
    """One courier request's worth of tracking numbers. Failed numbers are re-planned with
    backoff by the shipment's next_poll_at (not by retrying this task), so a batch never
    hammers a courier that is down."""
    from fulfillment.tracking.polling import poll_batch

    return poll_batch(account_id=account_id, shipment_ids=shipment_ids).shipments


@shared_task(acks_late=True, ignore_result=True, name="fulfillment.tasks.poll_tracking_changes")
def poll_tracking_changes(account_id: int) -> int:
    """Read an account's change feed from its stored cursor."""
    from fulfillment.tracking.polling import poll_changes

    return poll_changes(account_id=account_id)


@shared_task(
    acks_late=True, ignore_result=True, name="fulfillment.tasks.send_tracking_notifications"
)
def send_tracking_notifications(notification_ids: list[int]) -> int:
    """Send a batch of shopper notifications (each claimed once, see send_notifications)."""
    from fulfillment.tracking.notifications import send_notifications

    return len(send_notifications(notification_ids=notification_ids))


@shared_task(acks_late=True, ignore_result=True, name="fulfillment.tasks.refresh_eta_tables")
def refresh_eta_tables() -> int:
    """Beat, every few hours: fan out one refresh_eta_table task per merchant with deliveries
    (a small task each, so no single task walks every merchant)."""
    from fulfillment.tracking.eta import merchants_with_deliveries

    merchant_ids = merchants_with_deliveries()
    for merchant_id in merchant_ids:
        refresh_eta_table.delay_on_commit(merchant_id)
    return len(merchant_ids)


@shared_task(acks_late=True, ignore_result=True, name="fulfillment.tasks.refresh_eta_table")
def refresh_eta_table(merchant_id: int) -> None:
    """Rebuild one merchant's ETA table from its delivered parcels (a rerun rebuilds the same)."""
    from django.utils import timezone

    from fulfillment.tracking.eta import eta_table_for

    eta_table_for(merchant_id, now=timezone.now(), rebuild=True)
