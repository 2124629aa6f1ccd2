"""The shipping desk's bulk ship (#19): order tags that the order list filters on, and a ship
run: many orders booked in one background job, then one PDF and one ZPL of all their labels.

A run has one item per order (unique), and each item moves pending -> booked | failed |
skipped at most once per attempt; the order's shipment keeps its own unique idempotency key, so
a job killed halfway and run again books every order at most once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from merchant.models import MerchantOwned

__all__ = ["OrderTag", "ShipRun", "ShipRunItem"]


class OrderTag(MerchantOwned):
    """A short word staff put on an order ("gift", "fragile", "vip") to find it again."""

    order = models.ForeignKey("fulfillment.Order", on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=40)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["order", "name"], name="order_tag_unique"),
        ]
        indexes = [models.Index(fields=["merchant", "name"], name="order_tag_by_name")]

    def __str__(self) -> str:
        return self.name


class ShipRun(MerchantOwned):
    """One "Ship selected": which orders, which service (the rule's when none), the job that
    books them and the label batch that prints them."""

    job = models.ForeignKey(
        "merchant.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # One service for every order instead of the merchant's rule (null: the rule chooses).
    service = models.ForeignKey(
        "fulfillment.CourierService",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    description = models.CharField(max_length=300, blank=True)
    label_batch = models.ForeignKey(
        "fulfillment.LabelBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Labels and packing slips, one after the other per order in pick order.
    pdf = models.FileField(upload_to="ship-runs/%Y/%m/", null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    booked = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Ship run {self.pk}"


class ShipRunItem(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        BOOKED = "booked", "Booked"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    run = models.ForeignKey(ShipRun, on_delete=models.CASCADE, related_name="items")
    order = models.ForeignKey("fulfillment.Order", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    shipment = models.ForeignKey(
        "fulfillment.Shipment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.CharField(max_length=500, blank=True)
    position = models.PositiveIntegerField(default=0)  # pick order

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "order"], name="ship_run_item_unique"),
        ]
        indexes = [models.Index(fields=["run", "state"], name="ship_run_item_state")]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.order_id}: {self.state}"
