"""Shipping labels of shipments: what a shipment's label prints, and the label file a page or
the API serves (the courier's own when it gave one, else ours).

Rendering lives in fulfillment/labels/ (plain dataclasses in, bytes out); this module is the
one adapter from the models to it, so the shipment page, the API, the batch job and the demo
all print the same label. Batches are in batches.py, return shipments in returns.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from fulfillment.labels.render import (
    LABEL_SIZES,
    LabelAddress,
    LabelData,
    LabelError,
    point_code,
    render_labels_pdf,
    render_labels_zpl,
    sort_code,
)
from fulfillment.models import Allocation, Order, Shipment
from fulfillment.models.shipments import LabelSource
from fulfillment.orders.services.addresses import order_address, pickup_address
from fulfillment.tracking import hooks
from fulfillment.tracking.notifications import tracking_url
from merchant.models import Merchant, StoragePoint
from merchant.zones import local_time

LABEL_FORMATS: tuple[str, ...] = ("pdf", "zpl")
LABEL_SOURCES: tuple[str, ...] = ("auto", "nearbox")
CONTENT_TYPES = {"pdf": "application/pdf", "zpl": "application/zpl"}
NO_TRACKING_NUMBER = "cannot print: no tracking number yet — book the shipment first"


VOIDED = "This label was voided: the courier will not take it. Ship the order again."


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


def point_address(merchant: Merchant, point: StoragePoint) -> LabelAddress:
    return LabelAddress(
        name=merchant.name,
        lines=tuple(line for line in (point.name, point.address_line) if line),
        city=point.city,
        postal_code=point.postal_code,
        country=point.country,
        state=point.state,
    )


def recipient_address(shipment: Shipment) -> LabelAddress:
    """Where the parcel goes: the shopper's address, or for a pickup order its locker or shop
    (a label with only the shopper's ZIP cannot be delivered, so a vanished place refuses)."""
    order = shipment.order
    if not order.pickup_location_ref:
        return order_address(order)
    place = hooks.pickup_point(shipment)
    if place is None:
        raise ValidationError(
            {
                "pickup_location_ref": "cannot print: the order's pickup point "
                f"{order.pickup_location_ref} is not in your pickup network any more; "
                "change the order's delivery first."
            }
        )
    return pickup_address(order, place)


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
    # A pickup order's label carries the pickup point's check-in code (lockers), others the
    # tracking page; a return goes back to the shop, so it always shows the tracking page.
    qr = None if shipment.is_return else hooks.label_qr(shipment)
    try:
        sender = point_address(shipment.merchant, point)
        recipient = recipient_address(shipment)
        ship_to = sender if shipment.is_return else recipient
        return LabelData(
            tracking_number=shipment.tracking_number,
            courier_name=shipment.account.name,
            service_name=shipment.service.name,
            sender=sender,
            recipient=recipient,
            # The weight the courier was told (box and scale reading included), else the items'.
            weight_g=shipment.weight_g or _weight_g(order),
            reference=order.reference or f"Order {order.pk}",
            # The merchant's day: a parcel booked at 8 pm in Chicago is not dated tomorrow.
            date=local_time(shipment.booked_at or shipment.created_at, shipment.merchant),
            qr_payload=qr.payload if qr else tracking_url(shipment),
            qr_caption=qr.caption if qr else "Track parcel",
            sort_code=sort_code(
                ship_to.postal_code, "RET" if shipment.is_return else point_code(point.name)
            ),
            is_return=shipment.is_return,
            unit_system=shipment.merchant.unit_system,
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
    if shipment.voided_at is not None:
        raise CannotPrint({"shipment": VOIDED}, code="voided")
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
