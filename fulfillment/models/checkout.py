"""Rules a merchant writes without code, applied in order (#19 items 4 and 7).

- CheckoutRule: what the shopper pays for a delivery option at checkout (free over an order
  value, a markup, a flat price, hidden, rounded). Applied by fulfillment/checkout/services/
  pricing.py wherever a shopper sees prices.
- CourierRule: which courier option a shipment gets, per storage point and destination ZIP;
  the first matching rule wins, else the global ShippingSettings rule
  (fulfillment/couriers/services/rates.py `choose`).

Money in integer minor units of the merchant's currency; weights in grams; sizes in mm.
A condition left empty (null, blank or []) matches everything.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from fulfillment.models.couriers import CourierAccount, CourierService
from merchant.models import MerchantOwned

__all__ = ["CheckoutRule", "CourierRule"]

MAX_MINOR = 100_000_000  # one million in a cents currency: beyond any delivery price


class CheckoutRule(MerchantOwned):
    class Action(models.TextChoices):
        FREE = "free", "Free shipping"
        MARKUP_PCT = "markup_pct", "Markup (%)"
        MARKUP_FLAT = "markup_flat", "Markup (flat amount)"
        SET_PRICE = "set_price", "Flat price"
        HIDE = "hide", "Hide the option"
        ROUND = "round", "Round the price"

    class Rounding(models.TextChoices):
        NONE = "none", "No rounding"
        NINETY_NINE = "99", "Up to .99"
        WHOLE = "whole", "Up to a whole amount"

    class Level(models.TextChoices):
        ANY = "", "Any level"
        SAME_DAY = "same_day", "Same day"
        NEXT_DAY = "next_day", "Next day"
        ECONOMY = "economy", "Economy"

    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True)
    action = models.CharField(max_length=12, choices=Action.choices)
    amount_minor = models.IntegerField(
        default=0,
        validators=[MinValueValidator(-MAX_MINOR), MaxValueValidator(MAX_MINOR)],
        help_text="Flat price or flat markup (a negative markup is a discount).",
    )
    percent = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(-100), MaxValueValidator(1000)],
    )
    rounding = models.CharField(max_length=5, choices=Rounding.choices, default=Rounding.NONE)
    # Conditions.
    kinds = models.JSONField(default=list, blank=True, help_text='Any of "home", "locker", "shop".')
    service_level = models.CharField(max_length=10, choices=Level.choices, blank=True)
    service = models.ForeignKey(
        CourierService, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    min_order_minor = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(MAX_MINOR)]
    )
    min_weight_g = models.PositiveIntegerField(null=True, blank=True)
    max_weight_g = models.PositiveIntegerField(null=True, blank=True)
    min_longest_mm = models.PositiveIntegerField(null=True, blank=True)
    countries = models.JSONField(default=list, blank=True)
    zip_prefixes = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gte=-100) & Q(percent__lte=1000),
                name="checkout_rule_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gte=-MAX_MINOR) & Q(amount_minor__lte=MAX_MINOR),
                name="checkout_rule_amount_range",
            ),
            models.CheckConstraint(
                condition=Q(action__in=["free", "markup_pct", "markup_flat", "set_price", "hide"])
                | ~Q(rounding="none"),
                name="checkout_rule_round_has_mode",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CourierRule(MerchantOwned):
    class Rule(models.TextChoices):
        CHEAPEST = "cheapest", "Cheapest"
        FASTEST = "fastest", "Fastest"
        BEST_ON_TIME = "best_on_time", "Best on-time record"
        PREFERRED = "preferred", "Preferred courier within a price tolerance"
        SERVICE = "service", "A given service (else the cheapest)"

    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True)
    point = models.ForeignKey(
        "merchant.StoragePoint",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Ships from this point; empty for any.",
    )
    # ["60601-60614", "606*", "60700"]: a range, a prefix or a ZIP; [] for any destination.
    destinations = models.JSONField(default=list, blank=True)
    rule = models.CharField(max_length=14, choices=Rule.choices, default=Rule.CHEAPEST)
    preferred_account = models.ForeignKey(
        CourierAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    preferred_service = models.ForeignKey(
        CourierService, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tolerance_pct = models.PositiveSmallIntegerField(
        default=10, validators=[MaxValueValidator(500)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tolerance_pct__lte=500), name="courier_rule_tolerance_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name
