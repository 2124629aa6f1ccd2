"""Sent when rules were reordered in bulk (no post_save per row): the checkout caches listen
(lockers/selectors/checkout_cache.py)."""

from django.dispatch import Signal

# kwargs: merchant_id
rules_changed = Signal()
