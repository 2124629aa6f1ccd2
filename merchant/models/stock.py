"""Stock per product per storage point: an append-only ledger and a summary row.

Every change is a StockMovement; the StockLevel row holds the running totals and is updated
in the same transaction, under a row lock, so the two always agree. The schema refuses
negative stock and more reserved than on hand, whatever the code does.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from merchant.models.scoping import MerchantOwned


class StockLevel(MerchantOwned):
    product = models.ForeignKey(
        "merchant.Product", on_delete=models.CASCADE, related_name="stock_levels"
    )
    point = models.ForeignKey(
        "merchant.StoragePoint", on_delete=models.CASCADE, related_name="stock_levels"
    )
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    low_stock_threshold = models.PositiveIntegerField(
        default=0, help_text="Alert when available stock falls to this or below (0: never)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["point_id", "product_id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "point"], name="one_stock_level_per_place"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="on_hand_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="reserved_not_negative"),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="reserved_within_on_hand"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} at {self.point}: {self.on_hand} on hand"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def is_low(self) -> bool:
        return self.low_stock_threshold > 0 and self.available <= self.low_stock_threshold


class StockMovement(MerchantOwned):
    class Kind(models.TextChoices):
        RECEIVE = "receive", "Received"
        TRANSFER_OUT = "transfer_out", "Transferred out"
        TRANSFER_IN = "transfer_in", "Transferred in"
        RESERVE = "reserve", "Reserved"
        RELEASE = "release", "Released"
        PICK = "pick", "Picked"
        ADJUST = "adjust", "Adjusted"
        RETURN = "return", "Returned"

    product = models.ForeignKey("merchant.Product", on_delete=models.PROTECT, related_name="+")
    point = models.ForeignKey("merchant.StoragePoint", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    on_hand_delta = models.IntegerField(default=0)
    reserved_delta = models.IntegerField(default=0)
    reason = models.CharField(max_length=255, blank=True)
    reference = models.CharField(
        max_length=80, blank=True, help_text="What caused it: an order line, a transfer, a file."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["merchant", "point", "product"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on_hand_delta:+d}/{self.reserved_delta:+d}"


class Transfer(MerchantOwned):
    """Stock moving between two storage points: requested → in transit → received."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        IN_TRANSIT = "in_transit", "In transit"
        RECEIVED = "received", "Received"
        CANCELLED = "cancelled", "Cancelled"

    from_point = models.ForeignKey(
        "merchant.StoragePoint", on_delete=models.PROTECT, related_name="transfers_out"
    )
    to_point = models.ForeignKey(
        "merchant.StoragePoint", on_delete=models.PROTECT, related_name="transfers_in"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    note = models.CharField(max_length=255, blank=True)
    plan = models.ForeignKey(
        "merchant.PlacementPlan",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="transfers",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_point=F("to_point")), name="transfer_between_two_points"
            ),
        ]

    def __str__(self) -> str:
        return f"Transfer {self.pk}: {self.from_point} → {self.to_point}"


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("merchant.Product", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["transfer", "product"], name="one_line_per_product"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="transfer_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product}"
