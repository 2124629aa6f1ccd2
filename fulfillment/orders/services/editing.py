"""Orders entered and edited by hand in the dashboard.

Entry goes through `create_order` like every other intake. Editing is for orders not yet
picked: shopper and service level change in place, the destination is checked again through
`fix_address`, and changed lines (or a changed service level, which can change the eligible
points) give back their reservations and are routed again through `reroute_order`, all in one
transaction: if no point can fill the edited order, nothing changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from fulfillment.models import Allocation, Order, OrderEvent, OrderLine
from fulfillment.orders.services.addresses import ADDRESS_FIELDS, fix_address
from fulfillment.orders.services.orders import create_order, reroute_order
from merchant.models import Merchant, Product, User
from merchant.services import stock

EDITABLE = (Order.Status.RECEIVED, Order.Status.ALLOCATED)
SHOPPER_FIELDS = ("shopper_name", "shopper_email", "reference")
# API field of a service error -> the dashboard form's field.
FORM_FIELDS = {
    "reference": "reference",
    "shopper.name": "shopper_name",
    "shopper.email": "shopper_email",
    "shopper.phone": "shopper_phone",
    "delivery.service_level": "service_level",
    "lines": None,
}


def form_field(api_field: str) -> str | None:
    """The form field a service error belongs to (None: the whole form)."""
    if api_field.startswith("destination."):
        return api_field.split(".", 1)[1]
    if api_field in ADDRESS_FIELDS:
        return api_field
    return FORM_FIELDS.get(api_field)


def create_manual_order(
    *,
    merchant: Merchant,
    fields: Mapping[str, Any],
    lines: list[tuple[Product, int]],
    user: User | None,
) -> Order:
    """Make an order typed in the dashboard. Raises what `create_order` raises."""
    data = {
        "reference": fields.get("reference", ""),
        "shopper": {
            "name": fields.get("shopper_name", ""),
            "email": fields.get("shopper_email", ""),
            "phone": fields.get("shopper_phone", ""),
        },
        "destination": {
            name: fields.get(name, "") for name in ADDRESS_FIELDS if name != "shopper_phone"
        },
        "delivery": {"kind": "home", "service_level": fields.get("service_level") or "next_day"},
        "lines": [{"sku": product.sku, "quantity": quantity} for product, quantity in lines],
    }
    data["destination"]["country"] = data["destination"].get("country") or "US"
    order, _ = create_order(merchant=merchant, data=data, source=Order.Source.MANUAL, user=user)
    return order


def edit_order(
    *,
    order: Order,
    fields: Mapping[str, Any],
    lines: list[tuple[Product, int]],
    user: User | None,
) -> Order:
    """Change an order that is not picked yet. Raises ValidationError (field named) or
    Unroutable; nothing changes then."""
    if not lines:
        raise ValidationError({"lines": "Keep at least one line."})
    if any(quantity < 1 for _, quantity in lines):
        raise ValidationError({"lines": "Enter a quantity of at least 1 on every line."})
    if any(p.merchant_id != order.merchant_id or not p.is_active for p, _ in lines):
        raise ValidationError({"lines": "Choose products your shop still sells."})
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status not in EDITABLE:
            raise ValidationError(
                {
                    "status": f"An order that is {order.get_status_display().lower()} can no "
                    "longer be edited; cancel it and enter a new one."
                }
            )
        before = [(line.product_id, line.quantity) for line in order.lines.order_by("pk")]
        lines_changed = before != [(product.pk, quantity) for product, quantity in lines]
        level_changed = order.service_level != fields["service_level"]
        address = {name: (fields.get(name) or "").strip() for name in ADDRESS_FIELDS}
        address["country"] = (address["country"] or "US").upper()
        address_changed = any(getattr(order, n) != v for n, v in address.items())

        changed = [n for n in SHOPPER_FIELDS if getattr(order, n) != (fields.get(n) or "").strip()]
        for name in changed:
            setattr(order, name, (fields.get(name) or "").strip())
        order.service_level = fields["service_level"]
        try:
            with transaction.atomic():
                order.save()
        except IntegrityError:
            raise ValidationError(
                {"reference": f"An order with reference “{order.reference}” already exists."}
            ) from None
        if address_changed or level_changed:
            order = fix_address(order=order, user=user, **address)
        if lines_changed or level_changed:
            _replace_lines(order, lines, user)
            order = reroute_order(order=order, point=None, user=user)
        what = [n.replace("_", " ") for n in changed]
        what += ["address"] * address_changed + ["service level"] * level_changed
        what += ["lines"] * lines_changed
        if what:
            OrderEvent.objects.create(
                merchant_id=order.merchant_id,
                order=order,
                from_status=order.status,
                to_status=order.status,
                by=user if user is not None and user.is_authenticated else None,
                note=f"Edited by staff: {', '.join(what)}."[:255],
            )
    return order


def _replace_lines(order: Order, lines: list[tuple[Product, int]], user: User | None) -> None:
    """Give back the old lines' reservations and write the new lines (routed by the caller)."""
    held = Allocation.objects.filter(order=order, state=Allocation.State.RESERVED).select_related(
        "line__product", "point"
    )
    for allocation in held:
        stock.release_stock(
            merchant=order.merchant,
            product=allocation.line.product,
            point=allocation.point,
            quantity=allocation.quantity,
            reference=f"order:{order.pk}",
            user=user if user is not None and user.is_authenticated else None,
        )
    Allocation.objects.filter(order=order).delete()
    OrderLine.objects.filter(order=order).delete()
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                merchant_id=order.merchant_id,
                order=order,
                product=product,
                quantity=quantity,
                unit_value=product.value,
            )
            for product, quantity in lines
        ]
    )
    order.value = sum(product.value * quantity for product, quantity in lines)
    Order.objects.filter(pk=order.pk).update(value=order.value)
