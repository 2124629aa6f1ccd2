"""Shipments written back to the store the order came from: the booking becomes the platform's
fulfilment (tracking number, company, link), each later status change an update of it.

Shipment signals (sent after commit) queue a task per platform order and shipment; the task
locks the PlatformOrder row and writes the shipment's *current* status, so pushes of one order
never interleave and a late task never writes an older status over a newer one. What was
written is kept in PlatformOrder.fulfillments.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django.db.models import Subquery
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from fulfillment.models import Shipment
from fulfillment.shipments import signals as shipment_signals
from fulfillment.tracking import signals as tracking_signals
from integrations.models import PlatformConnection, PlatformOrder
from integrations.platforms.base import PlatformError, get_connector
from integrations.receivers import never_raises

CACHE_SECONDS = 300


def cache_key() -> str:
    from django.db import connection

    return f"platforms:merchants-with-stores:{connection.settings_dict['NAME']}"


def merchants_with_stores() -> frozenset[int]:
    """Merchants with a connected store, from the shared cache: tracking signals every status
    change of every shipment and most merchants have no store to write to."""
    ids = cache.get(cache_key())
    if ids is None:
        ids = frozenset(
            PlatformConnection.objects.exclude(state=PlatformConnection.State.DISCONNECTED)
            .values_list("merchant_id", flat=True)
            .distinct()
        )
        cache.set(cache_key(), ids, CACHE_SECONDS)
    return ids


def stores_changed() -> None:
    """Call when a store is connected or disconnected: forget the set now and after commit."""
    cache.delete(cache_key())
    transaction.on_commit(lambda: cache.delete(cache_key()))


_never_raises = never_raises("platform write-back not queued by %s")


def queue_push(shipment_id: int) -> int | None:
    """Queue writing a shipment back when its order came from a connected store; returns the
    PlatformOrder id, or None when there is nothing to write to."""
    order_id = Shipment.objects.filter(pk=shipment_id, is_return=False).values("order_id")[:1]
    found = (
        PlatformOrder.objects.filter(order_id=Subquery(order_id))
        .exclude(connection__state=PlatformConnection.State.DISCONNECTED)
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        return None
    from integrations.platforms.tasks import push_platform_shipment

    push_platform_shipment.delay(found, shipment_id)
    return found


@_never_raises
def on_shipment_booked(sender, *, shipment_id: int, **_) -> None:
    if merchants_with_stores():
        queue_push(shipment_id)


@_never_raises
def on_shipment_status_changed(
    sender, *, shipment_id: int, merchant_id: int | None = None, **_
) -> None:
    stores = merchants_with_stores()
    if not stores or (merchant_id is not None and merchant_id not in stores):
        return  # no query: no store could want this change
    queue_push(shipment_id)


def _connection_saved_or_deleted(sender, **_) -> None:
    stores_changed()


def connect() -> None:
    shipment_signals.shipment_booked.connect(
        on_shipment_booked, dispatch_uid="integrations.platforms.on_shipment_booked"
    )
    tracking_signals.shipment_status_changed.connect(
        on_shipment_status_changed, dispatch_uid="integrations.platforms.on_status_changed"
    )
    # A store connected or disconnected anywhere (the page, the admin, a shell) renews the set.
    for model_signal in (post_save, post_delete):
        model_signal.connect(
            _connection_saved_or_deleted,
            sender=PlatformConnection,
            dispatch_uid=f"integrations.platforms.stores_{model_signal is post_save}",
        )


def push(*, platform_order_id: int, shipment_id: int) -> dict | None:
    """Write the shipment's current state to the platform, once per status. Returns the new
    fulfilment entry, or None when there was nothing new to write. Raises PlatformError."""
    with transaction.atomic():
        # Held during the platform call: pushes of one order are serial, and a second task for
        # the same status finds it written.
        platform_order = (
            PlatformOrder.objects.select_for_update(of=("self",))
            .select_related("connection")
            .filter(pk=platform_order_id)
            .first()
        )
        if platform_order is None or platform_order.order_id is None:
            return None
        connection = platform_order.connection
        if connection.state == PlatformConnection.State.DISCONNECTED:
            return None
        shipment = (
            Shipment.objects.select_related("account", "service", "order")
            .filter(pk=shipment_id, order_id=platform_order.order_id)
            .first()
        )
        if shipment is None or not shipment.tracking_number:
            return None
        key = str(shipment.pk)
        written = platform_order.fulfillments.get(key) or {}
        if written.get("status") == shipment.status:
            return None
        connector = get_connector(connection)
        try:
            entry = connector.push_shipment(platform_order, shipment, shipment.status)
        finally:
            connector.close()
        platform_order.fulfillments = {**platform_order.fulfillments, key: {**written, **entry}}
        platform_order.save(update_fields=["fulfillments", "updated_at"])
        PlatformConnection.objects.filter(pk=connection.pk).update(
            last_sent_at=timezone.now(), last_error=""
        )
    if entry.get("status") != shipment.status:  # written in part (the fulfilment, not its event)
        raise PlatformError("The status is not written yet.", transient=True)
    return entry


def record_failure(*, platform_order_id: int, detail: str) -> None:
    """A write-back the platform refused (or kept failing): shown on the store's page."""
    connection_id = PlatformOrder.objects.filter(pk=platform_order_id).values("connection_id")[:1]
    PlatformConnection.objects.filter(pk=Subquery(connection_id)).update(
        last_error=f"Writing a shipment back failed: {detail}"[:500],
        last_error_at=timezone.now(),
    )
