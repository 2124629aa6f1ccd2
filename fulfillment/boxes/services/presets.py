"""Saving box presets and which products and storage points pack into each first."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from fulfillment.models import BoxPreset, PointBox, ProductBox
from merchant.models import Merchant, Product, StoragePoint

MAX_SKUS = 1000


def save_box(
    *,
    merchant: Merchant,
    box: BoxPreset | None = None,
    name: str,
    inner_length_mm: int,
    inner_width_mm: int,
    inner_height_mm: int,
    empty_weight_g: int,
    max_weight_g: int | None,
) -> BoxPreset:
    """Add a box (box=None) or change one of the merchant's."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the box a name, e.g. “Small mailer”."})
    if max_weight_g is not None and max_weight_g <= empty_weight_g:
        raise ValidationError({"max_weight": "The most it may weigh is more than the empty box."})
    if box is None:
        box = BoxPreset(merchant=merchant)
    elif box.merchant_id != merchant.pk:
        raise ValidationError({"box": "No such box."})
    box.name = name
    box.inner_length_mm = inner_length_mm
    box.inner_width_mm = inner_width_mm
    box.inner_height_mm = inner_height_mm
    box.empty_weight_g = empty_weight_g
    box.max_weight_g = max_weight_g
    try:
        with transaction.atomic():
            box.save()
    except IntegrityError:
        raise ValidationError({"name": f"You already have an active box named “{name}”."}) from None
    return box


def set_active(*, box: BoxPreset, active: bool) -> BoxPreset:
    """Deactivate (no longer chosen or offered; shipments keep it) or bring a box back."""
    box.is_active = active
    try:
        with transaction.atomic():
            box.save(update_fields=["is_active"])
    except IntegrityError:
        box.is_active = not active
        raise ValidationError(
            {"name": f"Another active box is named “{box.name}”: rename one first."}
        ) from None
    return box


def products_by_sku(merchant: Merchant, text: str) -> list[Product]:
    """The merchant's products named in `text` (SKUs separated by commas, spaces or lines)."""
    skus = list(dict.fromkeys(s for s in text.replace(",", " ").split() if s))
    if len(skus) > MAX_SKUS:
        raise ValidationError({"skus": f"At most {MAX_SKUS} SKUs per box."})
    found = {p.sku: p for p in Product.objects.for_merchant(merchant).filter(sku__in=skus)}
    unknown = [s for s in skus if s not in found]
    if unknown:
        shown = ", ".join(unknown[:5]) + ("…" if len(unknown) > 5 else "")
        raise ValidationError({"skus": f"No product with SKU {shown}."})
    return [found[s] for s in skus]


def set_box_defaults(
    *,
    merchant: Merchant,
    box: BoxPreset,
    points: Iterable[StoragePoint],
    products: Iterable[Product],
) -> None:
    """Make `box` the first box of exactly these points and products (a point or product
    has one default box: naming it here moves it from its previous box)."""
    points, products = list(points), list(products)
    if any(p.merchant_id != merchant.pk for p in [*points, *products]) or (
        box.merchant_id != merchant.pk
    ):
        raise ValidationError({"box": "Only your own points, products and boxes."})
    with transaction.atomic():
        PointBox.objects.filter(merchant=merchant, box=box).exclude(
            point__in=[p.pk for p in points]
        ).delete()
        for point in points:
            PointBox.objects.update_or_create(
                point=point, defaults={"merchant": merchant, "box": box}
            )
        ProductBox.objects.filter(merchant=merchant, box=box).exclude(
            product__in=[p.pk for p in products]
        ).delete()
        for product in products:
            ProductBox.objects.update_or_create(
                product=product, defaults={"merchant": merchant, "box": box}
            )
