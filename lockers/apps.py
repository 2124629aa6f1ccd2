from django.apps import AppConfig


class LockersConfig(AppConfig):
    name = "lockers"
    verbose_name = "Pickup network and checkout"

    def ready(self) -> None:
        from fulfillment import hooks as order_hooks
        from lockers import notifications, signals, tracking_hooks
        from lockers.selectors import checkout_cache
        from lockers.services.reservations import confirm_reservation

        # Rate books and shipping points are cached per process until couriers or points change.
        checkout_cache.connect_signals()
        signals.pickup_code_issued.connect(
            notifications.email_pickup_code, dispatch_uid="lockers.email_pickup_code"
        )
        # Tracking pages and the exceptions queue show where pickup parcels wait and expire.
        tracking_hooks.register()
        # Order intake confirms the checkout's compartment hold in the order's transaction.
        if confirm_reservation not in order_hooks.RESERVATION_CONFIRMERS:
            order_hooks.RESERVATION_CONFIRMERS.append(confirm_reservation)
        # The order page names the locker or shop, its compartment and reservation.
        from lockers.selectors.reservations import order_pickup_place

        if order_pickup_place not in order_hooks.PICKUP_PLACE_PROVIDERS:
            order_hooks.PICKUP_PLACE_PROVIDERS.append(order_pickup_place)
        # The checkout-rules preview answers with the delivery-options API's own code path.
        from fulfillment.checkout import hooks as checkout_hooks
        from lockers.services.options import answer_for_query

        if answer_for_query not in checkout_hooks.DELIVERY_OPTIONS:
            checkout_hooks.DELIVERY_OPTIONS.append(answer_for_query)
        # A return of a locker order is dropped off in that locker (a compartment held for it).
        from fulfillment.returns import hooks as return_hooks
        from lockers.services.return_dropoffs import release_return_dropoff, reserve_return_dropoff

        if reserve_return_dropoff not in return_hooks.DROPOFF_RESERVERS:
            return_hooks.DROPOFF_RESERVERS.append(reserve_return_dropoff)
        if release_return_dropoff not in return_hooks.DROPOFF_RELEASERS:
            return_hooks.DROPOFF_RELEASERS.append(release_return_dropoff)
