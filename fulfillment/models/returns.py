"""The returns portal (#19): what a merchant allows (ReturnSettings), and what a shopper asked
to send back (ReturnRequest with its lines), how and whether the merchant agreed, and when
the parcel came back (fulfillment/returns/)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from fulfillment.models.tokens import new_public_token
from merchant.models import MerchantOwned

__all__ = ["ReturnRequest", "ReturnRequestLine", "ReturnSettings"]

DEFAULT_REASONS = [
    "Too small",
    "Too large",
    "Not as described",
    "Arrived damaged",
    "Changed my mind",
]


class ReturnMethod(models.TextChoices):
    LABEL = "label", "Return label (print and post)"
    DROPOFF = "dropoff", "Drop off with a code (your locker or the shop)"


class ReturnSettings(MerchantOwned):
    """One row per merchant; made with the defaults on first read (returns.services.settings)."""

    window_days = models.PositiveSmallIntegerField(
        default=30, help_text="How many days after the order a shopper may ask for a return."
    )
    reasons = models.JSONField(default=list, blank=True, help_text="Reasons a shopper chooses.")
    auto_approve = models.BooleanField(
        default=True, help_text="Approve every request at once (else staff approve each)."
    )
    allow_label = models.BooleanField(default=True)
    allow_dropoff = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant"], name="return_settings_one_per_merchant"),
            models.CheckConstraint(
                condition=Q(window_days__lte=365), name="return_settings_window_at_most_a_year"
            ),
        ]

    def __str__(self) -> str:
        return f"Return settings of merchant {self.merchant_id}"

    @property
    def methods(self) -> list[str]:
        allowed = [
            (self.allow_label, ReturnMethod.LABEL),
            (self.allow_dropoff, ReturnMethod.DROPOFF),
        ]
        return [method.value for on, method in allowed if on]


class ReturnRequest(MerchantOwned):
    class State(models.TextChoices):
        REQUESTED = "requested", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        RECEIVED = "received", "Received"

    OPEN_STATES = (State.REQUESTED, State.APPROVED)

    Method = ReturnMethod

    order = models.ForeignKey("fulfillment.Order", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.REQUESTED)
    method = models.CharField(max_length=8, choices=ReturnMethod.choices)
    reason = models.CharField(max_length=100)
    comment = models.CharField(max_length=500, blank=True, help_text="The shopper's words.")
    note = models.CharField(max_length=500, blank=True, help_text="Staff's note on the decision.")
    # The storage point the parcel goes back to (where its stock returns).
    point = models.ForeignKey("merchant.StoragePoint", on_delete=models.PROTECT, related_name="+")
    shipment = models.ForeignKey(
        "fulfillment.Shipment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dropoff_code = models.CharField(max_length=12, blank=True)
    # Where a drop-off goes when not to the point itself: the order's locker, with the
    # compartment held for it (lockers' reservation, named by its token: fulfillment cannot
    # point at lockers' rows).
    dropoff_place = models.CharField(max_length=300, blank=True)
    dropoff_reference = models.CharField(max_length=64, blank=True)
    public_token = models.CharField(max_length=64, unique=True, default=new_public_token)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["merchant", "state", "-created_at"], name="return_request_list"),
            models.Index(fields=["shipment"], name="return_request_shipment"),
        ]
        constraints = [
            # One open request per order: a second one waits until the first is decided.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(state__in=["requested", "approved"]),
                name="return_request_one_open_per_order",
            ),
            models.UniqueConstraint(
                fields=["merchant", "dropoff_code"],
                condition=~Q(dropoff_code=""),
                name="return_request_dropoff_code_unique",
            ),
            models.CheckConstraint(
                condition=Q(received_at__isnull=True) | Q(state="received"),
                name="return_request_received_state",
            ),
        ]

    def __str__(self) -> str:
        return f"Return {self.pk} of order {self.order_id}"


class ReturnRequestLine(MerchantOwned):
    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey("fulfillment.OrderLine", on_delete=models.CASCADE, related_name="+")
    quantity = models.IntegerField()
    # What the order line shipped, copied when the request is made, so that the schema itself
    # refuses a quantity above it (the service also counts what earlier requests returned).
    shipped_quantity = models.IntegerField()

    class Meta:
        ordering = ["request_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "line"], name="return_line_once"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0) & Q(quantity__lte=models.F("shipped_quantity")),
                name="return_line_quantity_within_shipped",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.line_id}"
