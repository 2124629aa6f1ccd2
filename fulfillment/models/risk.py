"""Address risk at checkout (#20 item 3): the merchant's threshold, the trained models with their
held-out metrics, and the score every order got at intake (kept off Order, a hot table)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from merchant.models import MerchantOwned

__all__ = ["AddressRiskModel", "AddressRiskSettings", "OrderRisk"]


class AddressRiskSettings(MerchantOwned):
    """One row per merchant; made with the defaults on first read (fulfillment.risk.services)."""

    enabled = models.BooleanField(
        default=True, help_text="Put a nearby locker or shop first when the risk is high."
    )
    threshold = models.FloatField(
        default=0.25, help_text="Probability of a failed home delivery above which it acts."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant"], name="risk_settings_one_per_merchant"),
            models.CheckConstraint(
                condition=Q(threshold__gt=0) & Q(threshold__lt=1),
                name="risk_settings_threshold_between_0_and_1",
            ),
        ]

    def __str__(self) -> str:
        return f"Address risk settings of merchant {self.merchant_id}"


class AddressRiskModel(MerchantOwned):
    """A fitted (or prior) logistic model with what its features need from the shop's history,
    and its honest metrics (held-out months). The newest row of a merchant is the one used."""

    class Kind(models.TextChoices):
        TRAINED = "trained", "Trained on this shop's history"
        PRIOR = "prior", "Prior (too little history)"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    intercept = models.FloatField()
    coefficients = models.JSONField(default=dict, help_text="{feature: weight}")
    means = models.JSONField(default=dict, help_text="{feature: mean}: stands in for unknowns.")
    zip_stats = models.JSONField(default=dict, help_text="{zip5: [failures, deliveries]}")
    overall_rate = models.FloatField()
    unit_streets = models.JSONField(default=list, help_text="Street keys seen with a unit.")
    metrics = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["merchant", "-created_at"], name="risk_model_latest")]

    def __str__(self) -> str:
        return f"Address risk model {self.pk} ({self.kind}) of merchant {self.merchant_id}"


class OrderRisk(MerchantOwned):
    """The score an order got at intake, for analytics and the exceptions queue."""

    order = models.OneToOneField(
        "fulfillment.Order", on_delete=models.CASCADE, related_name="address_risk"
    )
    score = models.FloatField(null=True, blank=True)
    level = models.CharField(max_length=8, blank=True)
    reasons = models.JSONField(default=list, blank=True, help_text="[{code, text}]")
    model = models.ForeignKey(
        AddressRiskModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["merchant", "-scored_at"], name="order_risk_recent")]

    def __str__(self) -> str:
        return f"Risk {self.score} of order {self.order_id}"
