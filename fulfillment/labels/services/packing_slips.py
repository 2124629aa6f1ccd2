"""An order's packing slip (A4 or 4×6): every line and quantity, who sends and who receives, and
the courier and tracking number once the order is booked."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone

from fulfillment.boxes.services.packing import box_for_order
from fulfillment.labels.render import (
    SLIP_SIZES,
    LabelError,
    PackingSlipData,
    PackingSlipLine,
    render_packing_slips_pdf,
)
from fulfillment.labels.services.labels import LabelFile, point_address, sending_point
from fulfillment.models import Order, Shipment
from fulfillment.orders.services.addresses import order_address
from fulfillment.shipments.services.returns import outbound_shipment
from merchant import units
from merchant.zones import local_time, merchant_zone


def packing_slip_data(order: Order) -> PackingSlipData:
    point = sending_point(order)
    if point is None:
        raise ValidationError(
            {"order": "cannot print: the order holds no stock at a storage point to pack from."}
        )
    lines = [
        PackingSlipLine(sku=line.product.sku, name=line.product.name, quantity=line.quantity)
        for line in order.lines.select_related("product").order_by("pk")
    ]
    extra: dict[str, str] = {}
    shipment = outbound_shipment(order)
    if shipment is not None:
        extra = {"Courier": shipment.account.name, "Tracking": shipment.tracking_number}
    extra.update(_packing_facts(order, shipment))
    try:
        return PackingSlipData(
            reference=order.reference or f"Order {order.pk}",
            date=local_time(timezone.now(), order.merchant),
            sender=point_address(order.merchant, point),
            recipient=order_address(order),
            lines=lines,
            extra=extra,
        )
    except LabelError as exc:
        raise ValidationError({exc.field: f"cannot print: {exc.message}"}) from exc


def _packing_facts(order: Order, shipment: Shipment | None) -> dict[str, str]:
    """The box to pack into and the parcel's weight, in the merchant's units: the booked
    shipment's, else the box chosen by fit now."""
    system = order.merchant.unit_system
    if shipment is not None and shipment.weight_g:
        box, weight = shipment.box, shipment.weight_g
    else:
        choice = box_for_order(order)
        box, weight = choice.box, choice.parcel.weight_g
    facts = {"Weight": units.format_weight(weight, system)}
    if box is not None:
        size = units.format_size(
            box.inner_length_mm, box.inner_width_mm, box.inner_height_mm, system
        )
        facts = {"Box": f"{box.name} ({size})", **facts}
    return facts


def packing_slip_for(order: Order, *, size: str = "a4") -> LabelFile:
    """The packing slip as a PDF; a size we do not print names the field."""
    if size not in SLIP_SIZES:
        raise ValidationError({"size": f"size must be one of {', '.join(SLIP_SIZES)}."})
    with merchant_zone(order.merchant):  # the slip's date filter shows the active zone
        pdf = render_packing_slips_pdf([packing_slip_data(order)], size=size)
    reference = order.reference or str(order.pk)
    return LabelFile(
        content=pdf,
        content_type="application/pdf",
        filename=f"packing-slip-{reference}-{size}.pdf",
        source="nearbox",
    )
