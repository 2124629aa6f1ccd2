"""Products of a merchant: create, update, deactivate. SKUs are unique per merchant;
weights are grams, dimensions millimetres and value minor units, all whole numbers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from merchant.models import Merchant, Product, StockLevel, StoragePoint
from merchant.services import stock

# field -> (label used in errors, smallest allowed value)
NUMBER_FIELDS: dict[str, tuple[str, int]] = {
    "weight_g": ("weight in grams", 1),
    "length_mm": ("length in millimetres", 1),
    "width_mm": ("width in millimetres", 1),
    "height_mm": ("height in millimetres", 1),
    "value": ("value in minor units (cents)", 0),
}
EDITABLE_FIELDS = ("sku", "name", *NUMBER_FIELDS)
SKU_MAX, NAME_MAX = 64, 200
# Kept under the int4 ceiling of PositiveIntegerField.
NUMBER_MAX = 2_147_483_647


def clean_product_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise the given product fields; raise ValidationError naming each field."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS:
            raise ValidationError({name: f"{name} is not a product field that can be set."})
        if name == "sku":
            value = str(value or "").strip()
            if not value:
                errors[name] = "Enter a SKU."
            elif len(value) > SKU_MAX:
                errors[name] = f"Keep the SKU to {SKU_MAX} characters."
        elif name == "name":
            value = str(value or "").strip()
            if not value:
                errors[name] = "Enter a name."
            elif len(value) > NAME_MAX:
                errors[name] = f"Keep the name to {NAME_MAX} characters."
        else:
            label, minimum = NUMBER_FIELDS[name]
            if isinstance(value, bool) or not isinstance(value, int):
                errors[name] = f"Enter the {label} as a whole number."
            elif value < minimum or value > NUMBER_MAX:
                errors[name] = (
                    f"Enter the {label} as a whole number of at least {minimum}."
                    if value < minimum
                    else f"The {label} is too large."
                )
        cleaned[name] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_sku_free(merchant: Merchant, sku: str, *, exclude_pk: int | None = None) -> None:
    taken = Product.objects.for_merchant(merchant).filter(sku=sku)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"sku": f"Another product already has SKU {sku}."}, code="unique")


def create_product(
    *,
    merchant: Merchant,
    sku: str,
    name: str,
    weight_g: int,
    length_mm: int,
    width_mm: int,
    height_mm: int,
    value: int = 0,
) -> Product:
    fields = clean_product_fields(
        {
            "sku": sku,
            "name": name,
            "weight_g": weight_g,
            "length_mm": length_mm,
            "width_mm": width_mm,
            "height_mm": height_mm,
            "value": value,
        }
    )
    _check_sku_free(merchant, fields["sku"])
    try:
        with transaction.atomic():
            return Product.objects.create(merchant=merchant, **fields)
    except IntegrityError:  # a concurrent create of the same SKU
        raise ValidationError(
            {"sku": f"Another product already has SKU {fields['sku']}."}, code="unique"
        ) from None


def update_product(*, product: Product, **changes: Any) -> Product:
    """Change some of sku, name, weight_g, length_mm, width_mm, height_mm, value."""
    fields = clean_product_fields(changes)
    if "sku" in fields and fields["sku"] != product.sku:
        _check_sku_free(product.merchant, fields["sku"], exclude_pk=product.pk)
    for name, value in fields.items():
        setattr(product, name, value)
    try:
        with transaction.atomic():
            product.save(update_fields=list(fields) or None)
    except IntegrityError:
        raise ValidationError(
            {"sku": f"Another product already has SKU {fields.get('sku')}."}, code="unique"
        ) from None
    return product


def set_product_active(*, product: Product, active: bool) -> Product:
    """Deactivate (hidden from new transfers and orders, history kept) or reactivate."""
    with transaction.atomic():
        product.is_active = active
        product.save(update_fields=["is_active"])
    return product


def deactivate_product(*, product: Product) -> Product:
    return set_product_active(product=product, active=False)


def set_low_stock_threshold(
    *, merchant: Merchant, product: Product, point: StoragePoint, threshold: int
) -> StockLevel:
    """Alert when available units at `point` fall to `threshold` or below (0: never)."""
    threshold = stock.check_quantity(threshold, field="low_stock_threshold", allow_zero=True)
    if product.merchant_id != merchant.pk or point.merchant_id != merchant.pk:
        raise ValidationError("That product or storage point belongs to another shop.")
    with transaction.atomic():
        level, _ = StockLevel.objects.get_or_create(
            product=product, point=point, defaults={"merchant": merchant}
        )
        StockLevel.objects.filter(pk=level.pk).update(low_stock_threshold=threshold)
        level.low_stock_threshold = threshold
    return level
