"""Celery tasks of outgoing webhooks: one small task per delivery attempt, and beat's sweep
that queues retries as they come due (and claims a crashed worker left behind)."""

from celery import shared_task

from integrations.webhooks.services import deliveries


@shared_task(name="integrations.tasks.deliver_webhook", acks_late=True, ignore_result=True)
def deliver_webhook(delivery_id: int) -> None:
    # Idempotent: the claim's conditional UPDATE lets one run send; a run that finds the
    # delivery done, not due or behind an earlier one of its order does nothing.
    deliveries.attempt_delivery(delivery_id=delivery_id)


@shared_task(name="integrations.tasks.queue_due_webhooks", acks_late=True, ignore_result=True)
def queue_due_webhooks() -> int:
    return deliveries.enqueue_due()
