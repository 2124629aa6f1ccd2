"""The pickup network: locker banks with their compartments, and pickup shops.

Both belong to one merchant (its own network and the partner networks it imported) and are
identified for imports by `ref`, the merchant's own stable reference.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from merchant.models import MerchantOwned


class PickupLocation(MerchantOwned):
    ref = models.CharField(
        max_length=64, help_text="Your own reference for it, used to update it by import."
    )
    name = models.CharField(max_length=120)
    network = models.CharField(
        max_length=80, default="own", help_text="“own”, or the partner network it belongs to."
    )
    address_line = models.CharField("street address", max_length=200)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=40, blank=True)
    postal_code = models.CharField(max_length=12)
    country = models.CharField(max_length=2, default="US")
    latitude = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])
    opening_hours = models.JSONField(
        default=dict,
        blank=True,
        help_text='Per weekday a list of [open, close] pairs, e.g. {"mon": [["09:00", "18:00"]]}.',
    )
    is_active = models.BooleanField(default=True)
    # Part of the signed counter/terminal link: raising it revokes every link handed out.
    link_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def address(self) -> str:
        state_zip = " ".join(part for part in (self.state, self.postal_code) if part)
        return ", ".join(part for part in (self.address_line, self.city, state_zip) if part)


class LockerBank(PickupLocation):
    operator = models.CharField(max_length=80, blank=True)
    is_24_7 = models.BooleanField("open 24/7", default=True)

    class Meta(PickupLocation.Meta):
        verbose_name = "locker bank"
        constraints = [
            models.UniqueConstraint(fields=["merchant", "ref"], name="locker_bank_ref_unique"),
        ]
        indexes = [models.Index(fields=["merchant", "is_active"], name="locker_bank_active")]

    @property
    def pickup_ref(self) -> str:
        """What an order's `pickup_location_ref` holds when a shopper chose this bank."""
        return f"locker:{self.pk}"


class Compartment(MerchantOwned):
    class Size(models.TextChoices):
        SMALL = "S", "Small"
        MEDIUM = "M", "Medium"
        LARGE = "L", "Large"

    class State(models.TextChoices):
        FREE = "free", "Free"
        HELD = "held", "Held for an order"
        OCCUPIED = "occupied", "Occupied"
        OUT_OF_ORDER = "out_of_order", "Out of order"

    bank = models.ForeignKey(LockerBank, on_delete=models.CASCADE, related_name="compartments")
    label = models.CharField(max_length=16)
    size = models.CharField(max_length=1, choices=Size.choices)
    inner_length_mm = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    inner_width_mm = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    inner_height_mm = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    max_weight_g = models.PositiveIntegerField(default=25_000)
    state = models.CharField(max_length=12, choices=State.choices, default=State.FREE)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["bank_id", "label"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "label"], name="compartment_label_unique"),
        ]
        # The delivery-options query asks for the free compartments of a few banks at once.
        indexes = [models.Index(fields=["bank", "state"], name="compartment_by_state")]

    def __str__(self) -> str:
        return f"{self.bank} · {self.label} ({self.size})"

    @property
    def inner_dims(self) -> tuple[int, int, int]:
        return (self.inner_length_mm, self.inner_width_mm, self.inner_height_mm)


class PickupShop(PickupLocation):
    holding_capacity = models.PositiveIntegerField(
        default=30, help_text="Parcels the shop can hold at once."
    )
    staff_name = models.CharField(max_length=120, blank=True)
    staff_phone = models.CharField(max_length=32, blank=True)
    staff_email = models.EmailField(blank=True)

    class Meta(PickupLocation.Meta):
        verbose_name = "pickup shop"
        constraints = [
            models.UniqueConstraint(fields=["merchant", "ref"], name="pickup_shop_ref_unique"),
            models.CheckConstraint(
                condition=Q(holding_capacity__gte=1), name="pickup_shop_holds_something"
            ),
        ]
        indexes = [models.Index(fields=["merchant", "is_active"], name="pickup_shop_active")]

    @property
    def pickup_ref(self) -> str:
        return f"shop:{self.pk}"
