"""The app's tasks, imported here for Celery's autodiscovery (names: integrations.tasks.*)."""

from integrations.webhooks.tasks import deliver_webhook, queue_due_webhooks

__all__ = ["deliver_webhook", "queue_due_webhooks"]
