"""Outgoing webhooks: events about a merchant's orders, shipments and pickup parcels, POSTed
signed to the URLs the merchant subscribed (docs/webhooks.md)."""
