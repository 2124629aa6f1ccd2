"""Analytics (#20 items 1-2): daily rollups kept as events arrive, and the report read from them."""
