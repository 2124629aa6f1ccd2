"""Checkout rules and courier rules per point and destination (#19 items 4 and 7)."""
