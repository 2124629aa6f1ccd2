"""Job handlers of the merchant app (registered on import by MerchantConfig.ready)."""
