from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    name = "fulfillment"
    verbose_name = "Orders, couriers, shipments and labels"

    def ready(self) -> None:
        # Job handlers of this app register themselves on import.
        from fulfillment import jobs  # noqa: F401
        from fulfillment.orders.cards import work_cards
        from fulfillment.tracking.cards import exceptions_card
        from merchant.dashboard_cards import register

        # Today's work and the open-exceptions count on the Today page (merchant cannot
        # import fulfillment).
        register(work_cards)
        register(exceptions_card)
        # A delivered return parcel receives its return request (stock back, order returned).
        from fulfillment.returns import receivers

        receivers.connect()
        # A return approved with a label, or received, tells the shopper (after commit).
        from fulfillment.messaging import receivers as message_receivers

        message_receivers.connect()
        # A booked own-delivery order joins today's planned or running routes (#16).
        from fulfillment.fleet.dispatch import receivers as dispatch_receivers

        dispatch_receivers.connect()
        # Address risk: every order is scored as it comes in (#20 item 3).
        from fulfillment.risk import receivers as risk_receivers

        risk_receivers.connect()
        # Analytics rollups: each order or shipment event marks its order's day dirty (#20).
        from fulfillment.analytics import receivers as analytics_receivers

        analytics_receivers.connect()
        # Address risk: every order is scored as it comes in (#20 item 3).
        from fulfillment.risk import receivers as risk_receivers

        risk_receivers.connect()
