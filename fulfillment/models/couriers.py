"""Courier accounts of a merchant, their services (with the rate card), service areas, and the
merchant's rule for choosing among the options (rate shopping: couriers/services/rates.py).

Credentials are stored Fernet-encrypted (couriers/services/accounts.py); pages only ever see a hint.
Money is in integer minor units of the account's currency; weights in grams; sizes in mm.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from fulfillment.couriers.adapters.base import courier_choices
from fulfillment.models.tokens import new_public_token
from merchant.models import MerchantOwned


class CourierAccount(MerchantOwned):
    # The built-in codes, for code that names one. The field accepts every registered adapter
    # (couriers/adapters/base.py: built-in, on-demand and each installed karrio carrier).
    class Courier(models.TextChoices):
        SANDBOX = "sandbox", "Sandbox courier"
        DHL = "dhl", "DHL"
        UPS = "ups", "UPS"
        ROYALMAIL = "royalmail", "Royal Mail"
        MANUAL = "manual", "Local courier (no API)"

    courier = models.CharField(max_length=40, choices=courier_choices)
    name = models.CharField(max_length=120)
    credentials_encrypted = models.TextField(blank=True, help_text="Fernet token of a JSON map.")
    credentials_hint = models.CharField(max_length=200, blank=True)
    base_url = models.URLField("API base URL", blank=True)
    requests_per_second = models.FloatField(
        default=5.0, validators=[MinValueValidator(0.1), MaxValueValidator(1000)]
    )
    currency = models.CharField(max_length=3, default="USD")
    # The path of its webhook endpoint (fulfillment/tracking): unguessable, per account.
    webhook_token = models.CharField(max_length=64, unique=True, default=new_public_token)
    is_active = models.BooleanField(default=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "name"], name="courier_account_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class CourierService(MerchantOwned):
    """One service of an account, with its promise, limits and rate card."""

    class Level(models.TextChoices):
        SAME_DAY = "same_day", "Same day"
        NEXT_DAY = "next_day", "Next day"
        ECONOMY = "economy", "Economy"

    account = models.ForeignKey(CourierAccount, on_delete=models.CASCADE, related_name="services")
    level = models.CharField(max_length=10, choices=Level.choices)
    code = models.CharField(max_length=64, help_text="The courier's own code for this service.")
    name = models.CharField(max_length=120)
    transit_hours = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text="Promised hours from pick-up to delivery."
    )
    pickup_cutoff = models.TimeField(help_text="Local time at the storage point.")
    max_weight_g = models.PositiveIntegerField(null=True, blank=True)
    max_length_mm = models.PositiveIntegerField(null=True, blank=True)
    max_width_mm = models.PositiveIntegerField(null=True, blank=True)
    max_height_mm = models.PositiveIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    # Rate card, minor units.
    base_minor = models.PositiveIntegerField(default=0)
    per_km_minor = models.PositiveIntegerField(default=0)
    per_kg_minor = models.PositiveIntegerField(default=0)
    size_surcharges = models.JSONField(
        default=list,
        blank=True,
        help_text='Dimensional-weight tiers: [{"over_g": 5000, "surcharge": 300}, …].',
    )
    fuel_pct = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    minimum_minor = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account_id", "level", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "code"], name="courier_service_code_unique"),
            models.CheckConstraint(
                condition=Q(fuel_pct__gte=0) & Q(fuel_pct__lte=100), name="courier_fuel_pct_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} · {self.name}"

    @property
    def max_dims_mm(self) -> tuple[int, int, int] | None:
        dims = (self.max_length_mm, self.max_width_mm, self.max_height_mm)
        if any(d is None for d in dims):
            return None
        return tuple(sorted(dims, reverse=True))  # type: ignore[return-value]

    @property
    def transit_text(self) -> str:
        if self.transit_hours % 24 == 0:
            days = self.transit_hours // 24
            return f"{days} day{'s' if days != 1 else ''}"
        return f"{self.transit_hours} h"


class ServiceArea(MerchantOwned):
    """Where an account (or one of its services) delivers; several areas add up."""

    class Kind(models.TextChoices):
        RADIUS = "radius", "Radius around a point"
        ZIP = "zip", "List of ZIP codes"
        POLYGON = "polygon", "GeoJSON polygon"

    account = models.ForeignKey(CourierAccount, on_delete=models.CASCADE, related_name="areas")
    service = models.ForeignKey(
        CourierService, null=True, blank=True, on_delete=models.CASCADE, related_name="areas"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    name = models.CharField(max_length=120, blank=True)
    center_latitude = models.FloatField(null=True, blank=True)
    center_longitude = models.FloatField(null=True, blank=True)
    radius_km = models.FloatField(null=True, blank=True)
    zip_codes = models.JSONField(default=list, blank=True)
    polygon = models.JSONField(null=True, blank=True, help_text="GeoJSON Polygon/MultiPolygon.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account_id", "pk"]

    def __str__(self) -> str:
        return self.name or self.get_kind_display()

    @property
    def summary(self) -> str:
        if self.kind == self.Kind.RADIUS:
            return (
                f"{self.radius_km:g} km around "
                f"{self.center_latitude:.4f}, {self.center_longitude:.4f}"
            )
        if self.kind == self.Kind.ZIP:
            shown = ", ".join(self.zip_codes[:6])
            more = len(self.zip_codes) - 6
            return (
                f"{len(self.zip_codes)} ZIP codes: {shown}{f' and {more} more' if more > 0 else ''}"
            )
        return "GeoJSON polygon"


class ShippingSettings(MerchantOwned):
    """The merchant's rule for picking a courier option (one row per merchant)."""

    class Rule(models.TextChoices):
        CHEAPEST = "cheapest", "Cheapest"
        FASTEST = "fastest", "Fastest"
        BEST_ON_TIME = "best_on_time", "Best on-time record"
        PREFERRED = "preferred", "Preferred courier within a price tolerance"

    rule = models.CharField(max_length=14, choices=Rule.choices, default=Rule.CHEAPEST)
    preferred_account = models.ForeignKey(
        CourierAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tolerance_pct = models.PositiveSmallIntegerField(
        default=10, validators=[MaxValueValidator(500)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant"], name="one_shipping_settings_per_merchant")
        ]

    def __str__(self) -> str:
        return self.get_rule_display()
