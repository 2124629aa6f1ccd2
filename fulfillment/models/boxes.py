"""Box presets (the cartons a shop packs into), a default box per product or per storage point.

Sizes are inside dimensions in millimetres and weights in grams, as everywhere; the pages show
them in the merchant's units (merchant/units.py). Product and StoragePoint live in the merchant
app, which never points up at fulfillment: the defaults are fulfillment rows pointing down.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from merchant.models import MerchantOwned

__all__ = ["BoxPreset", "PointBox", "ProductBox"]

# 3 m and 1 t: beyond any parcel a courier takes, and far inside the columns' range.
MAX_SIDE_MM = 3000
MAX_WEIGHT_G = 1_000_000


def _side(label: str) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(
        label, validators=[MinValueValidator(1), MaxValueValidator(MAX_SIDE_MM)]
    )


class BoxPreset(MerchantOwned):
    name = models.CharField(max_length=80)
    inner_length_mm = _side("inside length (mm)")
    inner_width_mm = _side("inside width (mm)")
    inner_height_mm = _side("inside height (mm)")
    empty_weight_g = models.PositiveIntegerField(
        "empty weight (g)", default=0, validators=[MaxValueValidator(MAX_WEIGHT_G)]
    )
    max_weight_g = models.PositiveIntegerField(
        "most it may weigh packed (g)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_WEIGHT_G)],
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "name"],
                condition=Q(is_active=True),
                name="box_active_name_unique",
            ),
            models.CheckConstraint(
                condition=Q(inner_length_mm__gt=0, inner_width_mm__gt=0, inner_height_mm__gt=0),
                name="box_sides_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_weight_g__isnull=True) | Q(max_weight_g__gt=F("empty_weight_g")),
                name="box_max_weight_over_empty",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def volume_mm3(self) -> int:
        return self.inner_length_mm * self.inner_width_mm * self.inner_height_mm


class ProductBox(MerchantOwned):
    """The box a product ships in when an order holds only that product."""

    product = models.OneToOneField("merchant.Product", on_delete=models.CASCADE, related_name="+")
    box = models.ForeignKey(BoxPreset, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.product_id} → {self.box_id}"


class PointBox(MerchantOwned):
    """The box a storage point packs into first, when the items fit in it."""

    point = models.OneToOneField(
        "merchant.StoragePoint", on_delete=models.CASCADE, related_name="+"
    )
    box = models.ForeignKey(BoxPreset, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.point_id} → {self.box_id}"
