"""Couriers pages (accounts, services, rate cards, areas, the rule, rates for an order, the
manual courier's driver page). A package of its own, beside fulfillment/views/ (orders)."""
