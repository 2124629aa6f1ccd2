"""Which box an order ships in, and the parcel (size and weight) the courier is told.

The box: the products' own default when every line shares one and the items fit; else the
shipping point's default when they fit; else the smallest active box (by volume) that holds
them. Items are laid as rate shopping lays them (couriers/services/rates.parcel_for_items:
the largest footprint, heights stacked) and that block may turn any way in the box. The box's
empty weight is added to the items'; a scale reading replaces the sum.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from fulfillment.couriers.adapters.types import Parcel
from fulfillment.couriers.services.rates import RateInput, parcel_for_items
from fulfillment.models import Allocation, BoxPreset, Order, PointBox, ProductBox
from merchant.models import Merchant
from merchant.units import MAX_WEIGHT_G, UnitError, default_weight_unit, parse_weight


@dataclass(frozen=True)
class Item:
    product_id: int
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    quantity: int


@dataclass(frozen=True)
class BoxChoice:
    box: BoxPreset | None
    parcel: Parcel
    why: str
    measured: bool = False


def items_block(items: Iterable[Item]) -> Parcel:
    return parcel_for_items(
        (i.weight_g, i.length_mm, i.width_mm, i.height_mm, i.quantity) for i in items
    )


def holds(box: BoxPreset, block: Parcel) -> bool:
    """The items' block fits inside the box, turned any way, and the box takes its weight."""
    inside = sorted((box.inner_length_mm, box.inner_width_mm, box.inner_height_mm))
    needed = sorted((block.length_mm, block.width_mm, block.height_mm))
    if any(n > i for n, i in zip(needed, inside, strict=True)):
        return False
    return box.max_weight_g is None or block.weight_g + box.empty_weight_g <= box.max_weight_g


def smallest_fitting(boxes: Sequence[BoxPreset], block: Parcel) -> BoxPreset | None:
    fitting = [b for b in boxes if b.is_active and holds(b, block)]
    return min(fitting, key=lambda b: (b.volume_mm3, b.empty_weight_g, b.pk), default=None)


def choose_box(
    *,
    items: Sequence[Item],
    boxes: Sequence[BoxPreset],
    product_defaults: dict[int, BoxPreset],
    point_default: BoxPreset | None,
) -> BoxChoice:
    """The box for `items` (pure: the caller loads the merchant's boxes and defaults)."""
    block = items_block(items)
    skipped = ""
    defaults = {product_defaults.get(i.product_id) for i in items}
    if len(defaults) == 1 and (default := defaults.pop()) is not None and default.is_active:
        if holds(default, block):
            return _packed(default, block, f"The products' own box, {default.name}.")
        skipped = f"The products' box {default.name} is too small. "
    if point_default is not None and point_default.is_active:
        if holds(point_default, block):
            return _packed(point_default, block, f"The point's box, {point_default.name}.")
        skipped += f"The point's box {point_default.name} is too small. "
    box = smallest_fitting(boxes, block)
    if box is not None:
        return _packed(box, block, f"{skipped}Smallest box that holds the items: {box.name}.")
    if not any(b.is_active for b in boxes):
        return BoxChoice(None, block, "No boxes saved: the items' own size and weight.")
    return BoxChoice(None, block, f"{skipped}No saved box holds the items: their own size.")


def _packed(box: BoxPreset, block: Parcel, why: str) -> BoxChoice:
    return BoxChoice(
        box,
        Parcel(
            weight_g=block.weight_g + box.empty_weight_g,
            length_mm=box.inner_length_mm,
            width_mm=box.inner_width_mm,
            height_mm=box.inner_height_mm,
        ),
        why,
    )


def order_items(order: Order) -> list[Item]:
    return [
        Item(
            line.product_id,
            line.product.weight_g,
            line.product.length_mm,
            line.product.width_mm,
            line.product.height_mm,
            line.quantity,
        )
        for line in order.lines.select_related("product")
    ]


def shipping_point_id(order: Order) -> int | None:
    """The point holding most of the order's units (as rate_input_for_order's origin)."""
    units: dict[int, int] = {}
    rows = (
        Allocation.objects.filter(order=order)
        .exclude(state=Allocation.State.RELEASED)
        .values_list("point_id", "quantity")
    )
    for point_id, quantity in rows:
        units[point_id] = units.get(point_id, 0) + quantity
    return max(units, key=lambda p: (units[p], -p)) if units else None


def box_for_order(
    order: Order, *, box: BoxPreset | None = None, measured_weight_g: int | None = None
) -> BoxChoice:
    """The box the order ships in (`box` when staff chose one) and the parcel the courier is
    told; a scale reading (`measured_weight_g`) is the parcel's weight."""
    items = order_items(order)
    if box is not None:
        choice = _packed(box, items_block(items), f"Chosen by staff: {box.name}.")
    else:
        merchant_boxes = list(
            BoxPreset.objects.for_merchant(order.merchant_id).filter(is_active=True)
        )
        if not merchant_boxes:  # the common case before a shop saves boxes: no more queries
            choice = choose_box(items=items, boxes=[], product_defaults={}, point_default=None)
        else:
            by_id = {b.pk: b for b in merchant_boxes}
            product_defaults = {
                product_id: by_id[box_id]
                for product_id, box_id in ProductBox.objects.filter(
                    merchant_id=order.merchant_id, product_id__in={i.product_id for i in items}
                ).values_list("product_id", "box_id")
                if box_id in by_id
            }
            point_id = shipping_point_id(order)
            point_box_id = (
                PointBox.objects.filter(merchant_id=order.merchant_id, point_id=point_id)
                .values_list("box_id", flat=True)
                .first()
                if point_id
                else None
            )
            choice = choose_box(
                items=items,
                boxes=merchant_boxes,
                product_defaults=product_defaults,
                point_default=by_id.get(point_box_id) if point_box_id else None,
            )
    if measured_weight_g is not None:
        choice = dataclasses.replace(
            choice,
            parcel=dataclasses.replace(choice.parcel, weight_g=measured_weight_g),
            measured=True,
        )
    return choice


def with_box(inp: RateInput, choice: BoxChoice) -> RateInput:
    """Rate shopping's input with the packed parcel in place of the bare items."""
    return dataclasses.replace(inp, parcel=choice.parcel)


def check_measured_weight(grams: int | None) -> int | None:
    if grams is None:
        return None
    if not 1 <= int(grams) <= MAX_WEIGHT_G:
        raise ValidationError({"measured_weight": "A scale reading is between 1 g and a tonne."})
    return int(grams)


def packing_from_api(
    merchant: Merchant, *, box_id: int | None, scale_reading: str | None
) -> tuple[BoxPreset | None, int | None]:
    """The box and grams an API caller named: ValidationError naming the field otherwise."""
    box = None
    if box_id is not None:
        box = BoxPreset.objects.for_merchant(merchant).filter(pk=box_id, is_active=True).first()
        if box is None:
            raise ValidationError({"box_id": "Choose one of your active boxes."})
    grams = None
    if scale_reading is not None and scale_reading.strip():
        try:
            grams = parse_weight(
                scale_reading, default_unit=default_weight_unit(merchant.unit_system)
            )
        except UnitError as error:
            raise ValidationError({"scale_reading": str(error)}) from None
    return box, grams
