from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "config.observability"
    label = "observability"
    verbose_name = "Observability"

    def ready(self) -> None:
        from config.observability import logging, metrics, requestid

        requestid.connect()
        logging.connect()
        metrics.connect()
