"""Signals of order intake that higher apps (integrations) listen to; orders never imports them."""

from django.dispatch import Signal

# A new order was written. Sent after commit with order_id=int, merchant_id=int.
order_created = Signal()
# An order was allocated to storage points: at intake, or re-routed by staff. Sent after commit
# with order_id=int, merchant_id=int, routing=str (what names this routing: "intake", or the
# OrderEvent id of a re-route).
order_routed = Signal()
