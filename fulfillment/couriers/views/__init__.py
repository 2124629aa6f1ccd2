"""Couriers pages: accounts, services, rate cards, areas, the rule, and the manual courier's
driver page."""
