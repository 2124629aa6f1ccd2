from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    name = "fulfillment"
    verbose_name = "Orders, couriers, shipments and labels"

    def ready(self) -> None:
        # Job handlers of this app register themselves on import.
        from . import jobs  # noqa: F401
