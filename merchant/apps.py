from django.apps import AppConfig


class MerchantConfig(AppConfig):
    name = "merchant"
    verbose_name = "Merchants, storage points and stock"

    def ready(self) -> None:
        # Job handlers of this app register themselves on import.
        from merchant import jobs  # noqa: F401
        from merchant.timestamps import connect as read_timestamps_robustly

        read_timestamps_robustly()
