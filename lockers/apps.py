from django.apps import AppConfig


class LockersConfig(AppConfig):
    name = "lockers"
    verbose_name = "Pickup network and checkout"

    def ready(self) -> None:
        from lockers import notifications, signals

        signals.pickup_code_issued.connect(
            notifications.email_pickup_code, dispatch_uid="lockers.email_pickup_code"
        )
