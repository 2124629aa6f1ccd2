from django.apps import AppConfig


class LockersConfig(AppConfig):
    name = "lockers"
    verbose_name = "Pickup network and checkout"
