"""The domain apps' signals, turned into webhook events. Each receiver runs after the sender's
commit; a failure here is logged and never reaches the code that sent the signal."""

from __future__ import annotations

from django.db.models import Subquery
from django.db.models.signals import post_delete, post_save

from fulfillment.couriers.adapters.types import TrackingStatus
from fulfillment.models import Allocation, Order, Shipment, ShipmentEvent
from fulfillment.orders import signals as order_signals
from fulfillment.shipments import signals as shipment_signals
from fulfillment.tracking import signals as tracking_signals
from integrations.models import WebhookEndpoint
from integrations.receivers import never_raises
from integrations.webhooks import events
from integrations.webhooks.active import endpoints_changed, has_endpoints
from integrations.webhooks.services.deliveries import record_event, subscribed_endpoints
from lockers import signals as locker_signals
from lockers.models import PickupParcel

_never_raises = never_raises("webhook event from %s not recorded")


@_never_raises
def on_order_created(sender, *, order_id: int, merchant_id: int, **_) -> None:
    if not has_endpoints(merchant_id):
        return
    endpoints = subscribed_endpoints(merchant_id, "order.created")
    if not endpoints:
        return
    order = Order.objects.get(pk=order_id)
    record_event(
        merchant_id=merchant_id,
        event_type="order.created",
        key=f"order.created:{order_id}",
        ordering_key=events.ordering_key(order_id),
        data={"order": events.order_data(order)},
        endpoints=endpoints,
    )


@_never_raises
def on_order_routed(sender, *, order_id: int, merchant_id: int, routing: str, **_) -> None:
    if not has_endpoints(merchant_id):
        return
    endpoints = subscribed_endpoints(merchant_id, "order.routed")
    if not endpoints:
        return
    order = Order.objects.get(pk=order_id)
    points = list(
        Allocation.objects.filter(order_id=order_id, state=Allocation.State.RESERVED)
        .order_by("point_id")
        .values_list("point_id", "point__name")
        .distinct()
    )
    record_event(
        merchant_id=merchant_id,
        event_type="order.routed",
        key=f"order.routed:{order_id}:{routing}",
        ordering_key=events.ordering_key(order_id),
        data=events.routed_data(order, points),
        endpoints=endpoints,
    )


def _shipment(shipment_id: int) -> Shipment:
    return Shipment.objects.select_related("order", "account", "service").get(pk=shipment_id)


def _shipment_endpoints(shipment_id: int) -> list[WebhookEndpoint]:
    """The active endpoints of the shipment's merchant, in one query: tracking sends a signal
    per status change, most for merchants with no endpoint, who should cost no more."""
    merchant = Shipment.objects.filter(pk=shipment_id).values("merchant_id")[:1]
    return list(WebhookEndpoint.objects.filter(merchant_id=Subquery(merchant), is_active=True))


@_never_raises
def on_shipment_booked(sender, *, shipment_id: int, **_) -> None:
    endpoints = [e for e in _shipment_endpoints(shipment_id) if e.subscribes_to("shipment.booked")]
    if not endpoints:
        return
    shipment = _shipment(shipment_id)
    record_event(
        merchant_id=shipment.merchant_id,
        event_type="shipment.booked",
        key=f"shipment.booked:{shipment_id}",
        ordering_key=events.ordering_key(shipment.order_id),
        data=events.shipment_data(shipment),
        endpoints=endpoints,
    )


@_never_raises
def on_shipment_status_changed(
    sender,
    *,
    shipment_id: int,
    old_status: str,
    new_status: str,
    merchant_id: int | None = None,
    **_,
) -> None:
    if merchant_id is not None and not has_endpoints(merchant_id):
        return  # most changes: no query at all
    kinds = ["shipment.status_changed"]
    if new_status == TrackingStatus.EXCEPTION.value:
        kinds.append("shipment.exception")
    active = _shipment_endpoints(shipment_id)
    wanted = {kind: [e for e in active if e.subscribes_to(kind)] for kind in kinds}
    if not any(wanted.values()):
        return
    shipment = _shipment(shipment_id)
    # A status may come back (out for delivery <-> failed attempt): the newest stored event
    # tells one change from its repetition.
    latest = (
        ShipmentEvent.objects.filter(shipment_id=shipment_id).order_by("-pk").values("pk").first()
    )
    change = f"{shipment_id}:{old_status}:{new_status}:{latest['pk'] if latest else 0}"
    data = {**events.shipment_data(shipment), "old_status": old_status, "new_status": new_status}
    for kind, endpoints in wanted.items():
        if not endpoints:
            continue
        record_event(
            merchant_id=shipment.merchant_id,
            event_type=kind,
            key=f"{kind}:{change}",
            ordering_key=events.ordering_key(shipment.order_id),
            data=data,
            endpoints=endpoints,
        )


def _parcel_event(kind: str, parcel: PickupParcel) -> None:
    parcel = PickupParcel.objects.select_related("order", "bank", "shop").get(pk=parcel.pk)
    record_event(
        merchant_id=parcel.merchant_id,
        event_type=kind,
        key=f"{kind}:{parcel.pk}",
        ordering_key=events.ordering_key(parcel.order_id),
        data=events.parcel_data(parcel),
    )


@_never_raises
def on_pickup_code_issued(sender, *, parcel: PickupParcel, **_) -> None:
    # The PIN and QR payload the signal carries are for the shopper: never in a webhook.
    if has_endpoints(parcel.merchant_id) and subscribed_endpoints(
        parcel.merchant_id, "pickup.ready"
    ):
        _parcel_event("pickup.ready", parcel)


@_never_raises
def on_parcel_collected(sender, *, parcel: PickupParcel, **_) -> None:
    if has_endpoints(parcel.merchant_id) and subscribed_endpoints(
        parcel.merchant_id, "pickup.collected"
    ):
        _parcel_event("pickup.collected", parcel)


@_never_raises
def on_parcel_return_requested(sender, *, parcel: PickupParcel, **_) -> None:
    if has_endpoints(parcel.merchant_id) and subscribed_endpoints(
        parcel.merchant_id, "pickup.expired"
    ):
        _parcel_event("pickup.expired", parcel)


def connect() -> None:
    pairs = [
        (order_signals.order_created, on_order_created),
        (order_signals.order_routed, on_order_routed),
        (shipment_signals.shipment_booked, on_shipment_booked),
        (tracking_signals.shipment_status_changed, on_shipment_status_changed),
        (locker_signals.pickup_code_issued, on_pickup_code_issued),
        (locker_signals.parcel_collected, on_parcel_collected),
        (locker_signals.parcel_return_requested, on_parcel_return_requested),
    ]
    for signal, receiver in pairs:
        signal.connect(receiver, dispatch_uid=f"integrations.webhooks.{receiver.__name__}")
    # An endpoint made or deleted anywhere (admin, shell) renews the cached set.
    for model_signal in (post_save, post_delete):
        model_signal.connect(
            _endpoint_saved_or_deleted,
            sender=WebhookEndpoint,
            dispatch_uid=f"integrations.webhooks.endpoint_{model_signal is post_save}",
        )


def _endpoint_saved_or_deleted(sender, **_) -> None:
    endpoints_changed()
