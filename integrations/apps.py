from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations: outgoing webhooks"

    def ready(self) -> None:
        # The domain apps send signals after commit; this app turns them into webhook events.
        from integrations.webhooks import receivers

        receivers.connect()
        # Shop platforms: shipments written back to the store, and the backfill job's handler.
        from integrations.platforms import jobs, writeback  # noqa: F401 (registers on import)

        writeback.connect()
        # Retention of store webhooks and outgoing webhook logs (fulfillment's housekeeping).
        from integrations import housekeeping  # noqa: F401 (registers on import)
