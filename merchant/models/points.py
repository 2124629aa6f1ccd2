"""Storage points: where a merchant keeps stock (own warehouse, back room, MFC, partner)."""

from django.core.validators import MinValueValidator
from django.db import models

from merchant.models.scoping import MerchantOwned

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class StoragePoint(MerchantOwned):
    class Kind(models.TextChoices):
        WAREHOUSE = "warehouse", "Own warehouse"
        BACK_ROOM = "back_room", "Shop back room"
        MICRO_FULFILMENT = "mfc", "Micro-fulfilment unit"
        PARTNER_SHOP = "partner", "Partner shop"

    class Role(models.TextChoices):
        IN_USE = "in_use", "In use"
        CANDIDATE = "candidate", "Candidate (not stocked yet)"

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.WAREHOUSE)
    role = models.CharField(
        max_length=10,
        choices=Role.choices,
        default=Role.IN_USE,
        help_text="Candidates are places the placement advisor may recommend opening.",
    )
    address_line = models.CharField("street address", max_length=200)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=40, blank=True)
    postal_code = models.CharField(max_length=12)
    country = models.CharField(max_length=2, default="US")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    capacity_units = models.PositiveIntegerField(
        default=1000, validators=[MinValueValidator(1)], help_text="Units it can hold."
    )
    capacity_m3 = models.DecimalField(
        "capacity (m³)",
        max_digits=8,
        decimal_places=2,
        default=10,
        validators=[MinValueValidator(0)],
    )
    monthly_cost = models.PositiveIntegerField(default=0, help_text="In minor units (cents).")
    cost_per_order = models.PositiveIntegerField(
        default=0, help_text="Handling cost per order, in minor units (cents)."
    )
    same_day_cutoff = models.TimeField(
        null=True, blank=True, help_text="Orders after this local time ship the next day."
    )
    opening_hours = models.JSONField(
        default=dict,
        blank=True,
        help_text='Per weekday a list of [open, close] pairs, e.g. {"mon": [["09:00", "18:00"]]}.',
    )
    is_active = models.BooleanField(default=True)
    inactive_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "name"], name="point_name_unique"),
            models.CheckConstraint(
                condition=models.Q(is_active=False)
                | (models.Q(latitude__isnull=False) & models.Q(longitude__isnull=False)),
                name="active_point_has_coordinates",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def location(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return (self.latitude, self.longitude)
