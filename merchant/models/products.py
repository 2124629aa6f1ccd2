from django.core.validators import MinValueValidator
from django.db import models

from merchant.models.scoping import MerchantOwned


class Product(MerchantOwned):
    sku = models.CharField("SKU", max_length=64)
    name = models.CharField(max_length=200)
    weight_g = models.PositiveIntegerField("weight (g)", validators=[MinValueValidator(1)])
    length_mm = models.PositiveIntegerField("length (mm)", validators=[MinValueValidator(1)])
    width_mm = models.PositiveIntegerField("width (mm)", validators=[MinValueValidator(1)])
    height_mm = models.PositiveIntegerField("height (mm)", validators=[MinValueValidator(1)])
    value = models.PositiveIntegerField(default=0, help_text="Unit value, in minor units.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "sku"], name="product_sku_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} · {self.name}"

    @property
    def volume_m3(self) -> float:
        return self.length_mm * self.width_mm * self.height_mm / 1e9
