"""Signals of shipments that higher apps (integrations) listen to; shipments never imports them."""

from django.dispatch import Signal

# The courier accepted a shipment: it has a tracking number. Sent after commit with
# shipment_id=int.
shipment_booked = Signal()
