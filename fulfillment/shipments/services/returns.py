"""Return shipments: the shopper sends the parcel back to the storage point it left from,
under its own tracking number (from the courier when we can book with it, else a Nearbox
number), one per order."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from fulfillment.couriers.adapters import (
    CourierError,
    Parcel,
    ShipmentRequest,
    TrackingEvent,
    TrackingStatus,
    make_event_id,
)
from fulfillment.couriers.adapters.manual import new_tracking_number
from fulfillment.couriers.services import accounts as courier_service
from fulfillment.couriers.services.rates import parcel_for_items
from fulfillment.labels.services.labels import sending_point
from fulfillment.models import Order, Shipment, ShipmentEvent
from fulfillment.models.shipments import LabelSource
from fulfillment.orders.services.addresses import order_address
from fulfillment.shipments.services.booking import idempotency_key, record_event
from merchant.models import Merchant

logger = logging.getLogger(__name__)


def return_idempotency_key(order: Order) -> str:
    return f"{idempotency_key(order)}-return"


def outbound_shipment(order: Order) -> Shipment | None:
    """The order's newest booked outbound shipment (a reship replaces the original; a voided
    label never left)."""
    return (
        Shipment.objects.filter(
            order=order, merchant_id=order.merchant_id, is_return=False, voided_at__isnull=True
        )
        .exclude(tracking_number="")
        .select_related("account", "service")
        .order_by("-created_at", "-pk")
        .first()
    )


def return_shipment(order: Order) -> Shipment | None:
    return Shipment.objects.filter(
        idempotency_key=return_idempotency_key(order), merchant_id=order.merchant_id
    ).first()


def create_return_shipment(*, merchant: Merchant, order: Order, key_suffix: str = "") -> Shipment:
    """The order's return parcel (shopper -> storage point) with its own tracking number.

    One per order: a second call (a double click, a retry) returns the same shipment. The
    courier is asked under the return's own idempotency key, so a retried booking gets the
    same number back; couriers we cannot book with here get a Nearbox number. `key_suffix`
    names a later return of the same order (the returns portal's second request)."""
    if order.merchant_id != merchant.pk:
        raise ValidationError({"order_id": "That order is not yours."})
    outbound = outbound_shipment(order)
    if outbound is None:
        raise ValidationError(
            {"order_id": "This order has no booked shipment yet, so there is nothing to return."}
        )
    key = f"{return_idempotency_key(order)}{key_suffix}"
    try:
        with transaction.atomic():
            shipment, _ = Shipment.objects.get_or_create(
                idempotency_key=key,
                defaults={
                    "merchant": merchant,
                    "order": order,
                    "account": outbound.account,
                    "service": outbound.service,
                    "is_return": True,
                    "price_minor": 0,  # not quoted: a return is paid per the courier contract
                    "currency": outbound.currency,
                    "chosen_by": Shipment.ChosenBy.STAFF,
                    "why": f"Return of shipment {outbound.tracking_number}"[:300],
                },
            )
    except IntegrityError:  # a concurrent click made it first
        shipment = Shipment.objects.get(idempotency_key=key)
    if not shipment.tracking_number:
        shipment = _book_return(shipment, order)
    return shipment


def _book_return(shipment: Shipment, order: Order) -> Shipment:
    point = sending_point(order)
    if point is None:
        raise ValidationError({"order_id": "The order holds no stock at a storage point."})
    account = shipment.account
    adapter = courier_service.adapter_for(account)
    created_label = created_format = None
    if adapter.capabilities.can_create_shipment:
        recipient = order_address(order)
        request = ShipmentRequest(
            sender={
                "name": recipient.name,
                "street": ", ".join(recipient.lines) or "-",
                "city": recipient.city or "-",
                "postal_code": recipient.postal_code,
                "country": recipient.country,
            },
            recipient={
                "name": f"{order.merchant.name} returns",
                "street": point.address_line,
                "city": point.city,
                "postal_code": point.postal_code,
                "country": point.country,
            },
            parcels=(_parcel(order),),
            service_code=shipment.service.code,
            reference=f"{order.reference or order.pk}-RET"[:60],
            idempotency_key=shipment.idempotency_key,
        )
        try:
            created = adapter.create_shipment(request)
        except CourierError as exc:
            courier_service.record_account_error(account=account, message=str(exc))
            raise ValidationError(
                {"order_id": f"{account.name} could not book the return: {exc}"}
            ) from exc
        number, created_label, created_format = (
            created.tracking_number,
            created.label,
            created.label_format,
        )
    else:
        number = new_tracking_number()
    now = timezone.now()
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if locked.tracking_number:  # another click booked it meanwhile
            return locked
        locked.tracking_number = number
        locked.status = TrackingStatus.INFO_RECEIVED.value
        locked.booked_at = now
        if created_label:
            extension = (created_format or "pdf").lower()
            locked.label.save(f"{number}.{extension}", ContentFile(created_label), save=False)
            locked.label_source = LabelSource.COURIER
        locked.save()
    record_event(
        shipment=locked,
        event=TrackingEvent(
            tracking_number=number,
            status=TrackingStatus.INFO_RECEIVED,
            occurred_at=now,
            courier_code="return_created",
            courier_description=f"Return label created with {account.name}",
            event_id=make_event_id("nearbox", number, "return_created"),
        ),
        source=ShipmentEvent.Source.NEARBOX,
    )
    logger.info("return shipment %s for order %s: %s", locked.pk, order.pk, number)
    return locked


def _parcel(order: Order) -> Parcel:
    return parcel_for_items(
        (line.product.weight_g, line.product.length_mm, line.product.width_mm,
         line.product.height_mm, line.quantity)
        for line in order.lines.select_related("product")
    )  # fmt: skip
