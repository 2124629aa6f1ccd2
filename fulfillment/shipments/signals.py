"""Signals of shipments that higher apps (integrations) listen to; shipments never imports them."""

from django.dispatch import Signal

# The courier accepted a shipment: it has a tracking number. Sent after commit with
# shipment_id=int.
shipment_booked = Signal()

# A shipment's label was voided before hand-over (shipments/services/voiding.py): the order is
# ready to ship again. Sent after commit with shipment_id=int, merchant_id=int.
shipment_voided = Signal()
