"""Signals other parts of Nearbox (tracking notifications, labels) listen to."""

from django.dispatch import Signal

# A parcel arrived at a locker or shop: send the shopper `pin` and `qr_payload`.
# Sent after commit with parcel=PickupParcel, pin=str, qr_payload=str.
pickup_code_issued = Signal()
# An uncollected parcel expired and must go back (the return shipment is made by labels).
# Sent after commit with parcel=PickupParcel.
parcel_return_requested = Signal()
# The shopper collected a parcel at a locker or shop. Sent after commit with parcel=PickupParcel.
parcel_collected = Signal()
