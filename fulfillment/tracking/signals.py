"""Signals of tracking that higher apps (lockers) listen to; tracking never imports them."""

from django.dispatch import Signal

# A shipment's derived status changed. Sent after commit with shipment_id=int,
# old_status=str, new_status=str (TrackingStatus values), merchant_id=int (so a listener can
# skip a merchant it has nothing for without a query). Lockers issue a pickup code when
# new_status == "available_for_pickup".
shipment_status_changed = Signal()

# The same transitions of one ingest batch at once, sent after commit after the per-shipment
# signals (those carry batched=True so a listener of this one can skip them): shipment_ids=list
# of int, order_ids=list of int (each shipment's order, in the same order), merchant_id=int.
# Lets a listener do one round trip per batch (analytics' dirty set).
shipment_statuses_changed = Signal()

# Shipments changed in what their status does not show (marked stuck or no longer stuck,
# handled, cancelled, refunded, rescheduled, redirected). Sent after commit: shipment_ids=list
# of int, order_ids=list of int (in the same order), merchant_id=int. Analytics counts these.
shipments_touched = Signal()


def announce_touched(shipment: object) -> None:
    """Send `shipments_touched` for one shipment once the current transaction commits."""
    from django.db import transaction

    pk, order_id, merchant_id = shipment.pk, shipment.order_id, shipment.merchant_id

    def send() -> None:
        shipments_touched.send(
            sender=type(shipment),
            shipment_ids=[pk],
            order_ids=[order_id],
            merchant_id=merchant_id,
        )

    transaction.on_commit(send)
