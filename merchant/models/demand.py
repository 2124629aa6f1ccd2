"""Demand history: where and when units were ordered, the input of placement and forecast.

Orders feed it as they arrive (the fulfillment app calls the demand service), and a merchant
can import past order history from their shop platform so that advice starts on day one.
"""

from django.db import models

from merchant.models.scoping import MerchantOwned


class DemandRecord(MerchantOwned):
    ordered_on = models.DateField(db_index=True)
    postal_code = models.CharField(max_length=12)
    latitude = models.FloatField()
    longitude = models.FloatField()
    product = models.ForeignKey(
        "merchant.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    units = models.PositiveIntegerField(default=1)
    source = models.CharField(
        max_length=20, default="order", help_text="order (live) or import (history file)."
    )
    reference = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["-ordered_on", "-pk"]
        indexes = [models.Index(fields=["merchant", "ordered_on"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(units__gt=0), name="demand_units_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.units} to {self.postal_code} on {self.ordered_on}"


class PlacementPlan(MerchantOwned):
    """A recommendation of which points to use and what to hold where, with its effect."""

    class Status(models.TextChoices):
        PENDING = "pending", "Being computed"
        READY = "ready", "Ready to review"
        ACCEPTED = "accepted", "Accepted"
        DISCARDED = "discarded", "Discarded"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    job = models.ForeignKey(
        "merchant.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    params = models.JSONField(default=dict, blank=True)
    # Effect today and with the plan: mean/p90 distance, same-day share, costs.
    metrics_today = models.JSONField(default=dict, blank=True)
    metrics_plan = models.JSONField(default=dict, blank=True)
    # Open points, demand clusters and their assigned point, stock targets per product.
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        "merchant.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Placement plan {self.pk} ({self.get_status_display()})"
