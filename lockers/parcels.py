"""A parcel's size and weight, given directly or estimated from cart lines, and which
compartments it fits (turned any way: sides are compared longest to longest)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.db.models.functions import Greatest, Least

from merchant.models import Merchant, Product

MAX_DIM_MM = 5_000
MAX_WEIGHT_G = 100_000
MAX_CART_LINES = 100
SIZE_RANK = Case(
    When(size="S", then=Value(1)),
    When(size="M", then=Value(2)),
    When(size="L", then=Value(3)),
    output_field=IntegerField(),
)
RANK_SIZE = {1: "S", 2: "M", 3: "L"}


@dataclass(frozen=True)
class Parcel:
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int

    @property
    def sorted_dims(self) -> tuple[int, int, int]:
        a, b, c = sorted((self.length_mm, self.width_mm, self.height_mm), reverse=True)
        return a, b, c

    def as_dict(self) -> dict:
        return {
            "weight_g": self.weight_g,
            "length_mm": self.length_mm,
            "width_mm": self.width_mm,
            "height_mm": self.height_mm,
        }


def parcel_from_dims(
    *, weight_g: int | None, length_mm: int | None, width_mm: int | None, height_mm: int | None
) -> Parcel:
    values = {
        "weight_g": weight_g,
        "length_mm": length_mm,
        "width_mm": width_mm,
        "height_mm": height_mm,
    }
    for name, value in values.items():
        limit = MAX_WEIGHT_G if name == "weight_g" else MAX_DIM_MM
        if value is None:
            raise ValidationError(
                {name: f"Give {name}, or the cart lines instead of the parcel's size."}
            )
        if not 1 <= value <= limit:
            raise ValidationError({name: f"{name} must be between 1 and {limit:,}."})
    return Parcel(**values)


def parse_cart(text: str) -> list[tuple[str, int]]:
    """`SKU-1:2,SKU-2` -> [("SKU-1", 2), ("SKU-2", 1)]."""
    lines: list[tuple[str, int]] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        sku, _, qty = part.rpartition(":") if ":" in part else (part, "", "1")
        sku = sku.strip()
        if not sku or not qty.strip().isdigit() or not 1 <= int(qty) <= 999:
            raise ValidationError(
                {"cart": f"“{part}” is not a cart line; write SKU:quantity, e.g. MUG-01:2."}
            )
        lines.append((sku, int(qty)))
    if not lines:
        raise ValidationError({"cart": "The cart is empty."})
    if len(lines) > MAX_CART_LINES:
        raise ValidationError({"cart": f"At most {MAX_CART_LINES} cart lines."})
    return lines


def parcel_from_cart(merchant: Merchant, lines: list[tuple[str, int]]) -> Parcel:
    """Items stacked flat: the longest and middle sides are the largest of any item, heights
    add up. An estimate on the safe side for small carts, which is what lockers take."""
    skus = {sku for sku, _ in lines}
    products = {
        p.sku: p
        for p in Product.objects.for_merchant(merchant).filter(sku__in=skus, is_active=True)
    }
    unknown = [sku for sku in skus if sku not in products]
    if unknown:
        raise ValidationError({"cart": f"Unknown SKU {', '.join(sorted(unknown))}."})
    longest = middle = height = weight = 0
    for sku, qty in lines:
        p = products[sku]
        a, b, c = sorted((p.length_mm, p.width_mm, p.height_mm), reverse=True)
        longest, middle = max(longest, a), max(middle, b)
        height += c * qty
        weight += p.weight_g * qty
    return Parcel(weight_g=weight, length_mm=longest, width_mm=middle, height_mm=height)


def fitting(compartments: QuerySet, parcel: Parcel) -> QuerySet:
    """The compartments of `compartments` that `parcel` fits in, any way round."""
    a, b, c = parcel.sorted_dims
    dims = (F("inner_length_mm"), F("inner_width_mm"), F("inner_height_mm"))
    return (
        compartments.annotate(
            long_side=Greatest(*dims),
            short_side=Least(*dims),
        )
        .annotate(
            mid_side=F("inner_length_mm")
            + F("inner_width_mm")
            + F("inner_height_mm")
            - F("long_side")
            - F("short_side")
        )
        .filter(
            long_side__gte=a, mid_side__gte=b, short_side__gte=c, max_weight_g__gte=parcel.weight_g
        )
    )
