from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    name = "fulfillment"
    verbose_name = "Orders, couriers, shipments and labels"

    def ready(self) -> None:
        from fulfillment.tracking.cards import exceptions_card
        from merchant.dashboard_cards import register

        # Job handlers of this app register themselves on import.
        from . import jobs  # noqa: F401

        # The open-exceptions count on the Today page (merchant cannot import fulfillment).
        register(exceptions_card)
