"""An order's packing slip (A4 or 4×6): every line and quantity, who sends and who receives, and
the courier and tracking number once the order is booked."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone

from fulfillment.labels.render import (
    SLIP_SIZES,
    LabelError,
    PackingSlipData,
    PackingSlipLine,
    render_packing_slips_pdf,
)
from fulfillment.labels.services.labels import LabelFile, point_address, sending_point
from fulfillment.models import Order
from fulfillment.orders.services.addresses import order_address
from fulfillment.shipments.services.returns import outbound_shipment
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
