"""Forms of the merchant pages, one module per area: accounts, inventory, placement, points,
and products (the SKU field other apps use too)."""
