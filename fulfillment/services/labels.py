"""Shipping labels of shipments: what a shipment's label prints, the label file a page or the
API serves (the courier's own when it gave one, else ours), and return shipments.

Rendering lives in fulfillment/labels/ (plain dataclasses in, bytes out); this module is the
one adapter from the models to it, so the shipment page, the API, the batch job and the demo
all print the same label. Batches are in label_batches.py.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from fulfillment.couriers import (
    CourierError,
    ShipmentRequest,
    TrackingEvent,
    TrackingStatus,
    make_event_id,
)
from fulfillment.couriers.manual import new_tracking_number
from fulfillment.labels import (
    LABEL_SIZES,
    LabelAddress,
    LabelData,
    LabelError,
    point_code,
    render_labels_pdf,
    render_labels_zpl,
    sort_code,
)
from fulfillment.models import Allocation, Order, Shipment, ShipmentEvent
from fulfillment.models.shipments import LabelSource
from fulfillment.services import couriers as courier_service
from fulfillment.services.rates import parcel_for_items
from fulfillment.services.shipments import idempotency_key, record_event
from fulfillment.tracking import hooks
from fulfillment.tracking.notifications import tracking_url
from merchant.models import Merchant, StoragePoint

logger = logging.getLogger(__name__)

LABEL_FORMATS: tuple[str, ...] = ("pdf", "zpl")
LABEL_SOURCES: tuple[str, ...] = ("auto", "nearbox")
CONTENT_TYPES = {"pdf": "application/pdf", "zpl": "application/zpl"}
NO_TRACKING_NUMBER = "cannot print: no tracking number yet — book the shipment first"


class CannotPrint(ValidationError):
    """A shipment whose label cannot exist yet (no tracking number): a 409, not a bad request."""


@dataclass(frozen=True)
class LabelFile:
    content: bytes
    content_type: str
    filename: str
    source: str  # "courier" or "nearbox"


def check_label_options(*, size: str, fmt: str, source: str = "auto") -> None:
    """Bad input names its field: a size, format or source we do not print."""
    if size not in LABEL_SIZES:
        raise ValidationError({"size": f"size must be one of {', '.join(LABEL_SIZES)}."})
    if fmt not in LABEL_FORMATS:
        raise ValidationError({"format": f"format must be one of {', '.join(LABEL_FORMATS)}."})
    if fmt == "zpl" and size != "4x6":
        raise ValidationError({"size": "ZPL labels are for 4x6 thermal printers: use size=4x6."})
    if source not in LABEL_SOURCES:
        raise ValidationError({"source": f"source must be one of {', '.join(LABEL_SOURCES)}."})


# --- what a label prints -------------------------------------------------------------------


def sending_point(order: Order) -> StoragePoint | None:
    """The storage point the parcel leaves from: the one holding most of the order's units."""
    units: dict[int, int] = {}
    points: dict[int, StoragePoint] = {}
    for allocation in _allocations(order):
        units[allocation.point_id] = units.get(allocation.point_id, 0) + allocation.quantity
        points[allocation.point_id] = allocation.point
    if not units:
        return None
    return points[max(units, key=lambda pk: (units[pk], -pk))]


def _allocations(order: Order) -> Iterable[Allocation]:
    cached = getattr(order, "_prefetched_objects_cache", {}).get("allocations")
    if cached is not None:
        return [a for a in cached if a.state != Allocation.State.RELEASED]
    return order.allocations.exclude(state=Allocation.State.RELEASED).select_related("point")


def _point_address(merchant: Merchant, point: StoragePoint) -> LabelAddress:
    return LabelAddress(
        name=merchant.name,
        lines=tuple(line for line in (point.name, point.address_line) if line),
        city=point.city,
        postal_code=point.postal_code,
        country=point.country,
        state=point.state,
    )


def _order_address(order: Order) -> LabelAddress:
    return LabelAddress(
        name=order.shopper_name,
        lines=tuple(line for line in (order.line1, order.line2) if line),
        city=order.normalized_city or order.city,
        postal_code=order.normalized_postal_code or order.postal_code,
        country=order.country,
        state=order.normalized_state or order.state,
        phone=order.shopper_phone,
    )


def _weight_g(order: Order) -> int:
    return sum(line.product.weight_g * line.quantity for line in order.lines.all())


def label_data_for(shipment: Shipment) -> LabelData:
    """Everything the shipment's label prints. Raises CannotPrint without a tracking number
    and ValidationError (naming the field) for data that cannot go on a label."""
    if not shipment.tracking_number.strip():
        raise CannotPrint({"tracking_number": NO_TRACKING_NUMBER}, code="no_tracking_number")
    order = shipment.order
    point = sending_point(order)
    if point is None:
        raise ValidationError(
            {"order": "cannot print: the order holds no stock at a storage point to ship from."}
        )
    pickup = hooks.pickup_code(shipment)
    try:
        sender = _point_address(shipment.merchant, point)
        recipient = _order_address(order)
        ship_to = sender if shipment.is_return else recipient
        return LabelData(
            tracking_number=shipment.tracking_number,
            courier_name=shipment.account.name,
            service_name=shipment.service.name,
            sender=sender,
            recipient=recipient,
            weight_g=_weight_g(order),
            reference=order.reference or f"Order {order.pk}",
            date=shipment.booked_at or shipment.created_at,
            qr_payload=pickup if pickup and not shipment.is_return else tracking_url(shipment),
            qr_caption=f"Pickup code {pickup}"
            if pickup and not shipment.is_return
            else "Track parcel",
            sort_code=sort_code(
                ship_to.postal_code, "RET" if shipment.is_return else point_code(point.name)
            ),
            is_return=shipment.is_return,
        )
    except LabelError as exc:
        raise ValidationError({exc.field: f"cannot print: {exc.message}"}) from exc


# --- the label file ------------------------------------------------------------------------


def label_for(
    shipment: Shipment, *, size: str = "4x6", fmt: str = "pdf", source: str = "auto"
) -> LabelFile:
    """The shipment's label as a file. The courier's own label wins when it gave one in the
    asked format (`source="nearbox"` renders ours anyway). Our PDF is stored in
    Shipment.label and served from there until another size is asked for or what it prints
    changed (an address fixed, a pickup code issued); ZPL is rendered each time (it takes
    well under a millisecond)."""
    check_label_options(size=size, fmt=fmt, source=source)
    if not shipment.tracking_number.strip():
        raise CannotPrint({"tracking_number": NO_TRACKING_NUMBER}, code="no_tracking_number")
    number = shipment.tracking_number
    if source == "auto" and shipment.has_courier_label and shipment.courier_label_format == fmt:
        with shipment.label.open("rb") as stored:
            content = stored.read()
        return LabelFile(content, CONTENT_TYPES[fmt], f"{number}.{fmt}", LabelSource.COURIER)
    data = label_data_for(shipment)
    if fmt == "zpl":
        zpl = render_labels_zpl([data]).encode("ascii")
        return LabelFile(zpl, CONTENT_TYPES["zpl"], f"{number}.zpl", LabelSource.NEARBOX)
    filename = f"{number}-{size}.pdf"
    # The stored file's name carries a digest of what it prints, so stale labels re-render.
    stem = f"{number}-{size}-{hashlib.sha256(repr(data).encode()).hexdigest()[:12]}"
    stored = _stored_pdf(shipment, size, stem)
    if stored is not None:
        return LabelFile(stored, CONTENT_TYPES["pdf"], filename, LabelSource.NEARBOX)
    pdf = render_labels_pdf([data], size)
    if not shipment.has_courier_label:  # the courier's file is kept, never overwritten
        _store_pdf(shipment, pdf, size, stem)
    return LabelFile(pdf, CONTENT_TYPES["pdf"], filename, LabelSource.NEARBOX)


def _stored_pdf(shipment: Shipment, size: str, stem: str) -> bytes | None:
    if not (shipment.label and shipment.label_source == LabelSource.NEARBOX):
        return None
    if shipment.label_size != size or not Path(shipment.label.name).name.startswith(stem):
        return None
    try:
        with shipment.label.open("rb") as stored:
            return stored.read()
    except FileNotFoundError:  # the file went away (media wiped): render it again
        return None


def _store_pdf(shipment: Shipment, pdf: bytes, size: str, stem: str) -> None:
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if locked.has_courier_label:
            return
        old = locked.label.name if locked.label else ""
        locked.label.save(f"{stem}.pdf", ContentFile(pdf), save=False)
        locked.label_source, locked.label_size = LabelSource.NEARBOX, size
        locked.save(update_fields=["label", "label_source", "label_size"])
        if old and old != locked.label.name:
            storage = locked.label.storage
            transaction.on_commit(lambda: storage.delete(old))
    shipment.label, shipment.label_source, shipment.label_size = (
        locked.label,
        locked.label_source,
        locked.label_size,
    )


# --- return shipments ----------------------------------------------------------------------


def return_idempotency_key(order: Order) -> str:
    return f"{idempotency_key(order)}-return"


def outbound_shipment(order: Order) -> Shipment | None:
    """The order's newest booked outbound shipment (a reship replaces the original)."""
    return (
        Shipment.objects.filter(order=order, merchant_id=order.merchant_id, is_return=False)
        .exclude(tracking_number="")
        .select_related("account", "service")
        .order_by("-created_at", "-pk")
        .first()
    )


def return_shipment(order: Order) -> Shipment | None:
    return Shipment.objects.filter(
        idempotency_key=return_idempotency_key(order), merchant_id=order.merchant_id
    ).first()


def create_return_shipment(*, merchant: Merchant, order: Order) -> Shipment:
    """The order's return parcel (shopper -> storage point) with its own tracking number.

    One per order: a second call (a double click, a retry) returns the same shipment. The
    courier is asked under the return's own idempotency key, so a retried booking gets the
    same number back; couriers we cannot book with here get a Nearbox number."""
    if order.merchant_id != merchant.pk:
        raise ValidationError({"order_id": "That order is not yours."})
    outbound = outbound_shipment(order)
    if outbound is None:
        raise ValidationError(
            {"order_id": "This order has no booked shipment yet, so there is nothing to return."}
        )
    key = return_idempotency_key(order)
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
        recipient = _order_address(order)
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


def _parcel(order: Order):
    return parcel_for_items(
        (line.product.weight_g, line.product.length_mm, line.product.width_mm,
         line.product.height_mm, line.quantity)
        for line in order.lines.select_related("product")
    )  # fmt: skip
