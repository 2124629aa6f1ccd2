"""Shop platforms (Shopify, WooCommerce, Saleor): connectors (base.py), the shared intake of
their orders, the receiving endpoint, write-back of shipments and the Integrations page part."""
