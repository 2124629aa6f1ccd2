"""Holds on locker compartments made at checkout, and parcels waiting to be collected."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from merchant.models import MerchantOwned

ACTIVE_STATUSES = ("held", "confirmed")


class Reservation(MerchantOwned):
    """A compartment held for a checkout; confirmed when the order is placed.

    The partial unique constraint is the last guard against two parcels in one compartment.
    """

    class Status(models.TextChoices):
        HELD = "held", "Held"
        CONFIRMED = "confirmed", "Confirmed"
        EXPIRED = "expired", "Expired"
        COMPLETED = "completed", "Completed"
        RELEASED = "released", "Released at checkout"

    bank = models.ForeignKey("lockers.LockerBank", on_delete=models.CASCADE, related_name="+")
    compartment = models.ForeignKey(
        "lockers.Compartment", on_delete=models.CASCADE, related_name="reservations"
    )
    token = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)
    order = models.ForeignKey(
        "fulfillment.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    weight_g = models.PositiveIntegerField()
    length_mm = models.PositiveIntegerField()
    width_mm = models.PositiveIntegerField()
    height_mm = models.PositiveIntegerField()
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["compartment"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="one_active_reservation_per_compartment",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"], condition=Q(status="held"), name="reservation_holds"
            ),
        ]

    def __str__(self) -> str:
        return f"Reservation {self.pk} ({self.status})"


class PickupParcel(MerchantOwned):
    """A parcel at a locker or a pickup shop, collected against a PIN (stored as a keyed hash)
    or the QR code that carries it."""

    class Status(models.TextChoices):
        READY = "ready", "Ready for collection"
        COLLECTED = "collected", "Collected"
        EXPIRED = "expired", "Uncollected, going back"

    order = models.ForeignKey("fulfillment.Order", on_delete=models.PROTECT, related_name="+")
    tracking_number = models.CharField(max_length=64)
    bank = models.ForeignKey(
        "lockers.LockerBank", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    compartment = models.ForeignKey(
        "lockers.Compartment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reservation = models.ForeignKey(
        Reservation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shop = models.ForeignKey(
        "lockers.PickupShop", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.READY)
    token = models.CharField(max_length=32, unique=True, help_text="Names the parcel in its QR.")
    code_hash = models.CharField(max_length=64)
    arrived_at = models.DateTimeField()
    collect_by = models.DateTimeField()
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    collected_at = models.DateTimeField(null=True, blank=True)
    return_requested_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when it expired: it must go back to the merchant."
    )
    return_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-arrived_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(bank__isnull=True, shop__isnull=False)
                | Q(bank__isnull=False, shop__isnull=True),
                name="parcel_at_one_place",
            ),
            models.UniqueConstraint(
                fields=["merchant", "tracking_number"],
                condition=Q(status="ready"),
                name="one_ready_parcel_per_tracking_number",
            ),
        ]
        indexes = [
            models.Index(fields=["collect_by"], condition=Q(status="ready"), name="parcel_due"),
        ]

    def __str__(self) -> str:
        return f"Parcel {self.tracking_number}"

    @property
    def place(self):
        return self.bank or self.shop
