"""One-click exception actions: redirect, reschedule, shopper self-service (#20 item 4).

A redirect keeps where the parcel was going (the address or pickup place before it) and who
asked; a reschedule keeps the day before it. Each is the record the shopper's single message
is claimed on (notified_at), so a double click or a retried request never sends it twice."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from merchant.models import MerchantOwned

__all__ = ["CourierTold", "DeliveryReschedule", "ExceptionRules", "ParcelRedirect", "RequestedBy"]


class RequestedBy(models.TextChoices):
    STAFF = "staff", "Staff"
    SHOPPER = "shopper", "Shopper"
    DRIVER = "driver", "Driver (failed stop)"


class CourierTold(models.TextChoices):
    YES = "yes", "Courier told"
    NOT_SUPPORTED = "not_supported", "Not supported: tell the courier"
    FAILED = "failed", "Failed: tell the courier"
    OWN_FLEET = "own_fleet", "Own fleet: driver instruction reissued"


class ParcelRedirect(MerchantOwned):
    """A parcel sent to a locker or pickup shop instead of where its order went (one per
    shipment: a second request answers with this one)."""

    shipment = models.ForeignKey("fulfillment.Shipment", on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey("fulfillment.Order", on_delete=models.CASCADE, related_name="+")
    requested_by = models.CharField(max_length=8, choices=RequestedBy.choices)
    requested_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Where it went before: the order's delivery kind, pickup place and address as they were.
    from_delivery_kind = models.CharField(max_length=12)
    from_pickup_ref = models.CharField(max_length=64, blank=True)
    from_address = models.JSONField(default=dict)
    to_delivery_kind = models.CharField(max_length=12)
    to_pickup_ref = models.CharField(max_length=64)
    to_name = models.CharField(max_length=200)
    to_address = models.CharField(max_length=400)
    # The compartment held for it (lockers.Reservation id; lockers is a floor above).
    reservation_id = models.BigIntegerField(null=True, blank=True)
    courier_told = models.CharField(max_length=14, choices=CourierTold.choices)
    courier_note = models.CharField(max_length=300, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["shipment"], name="one_redirect_per_shipment"),
        ]

    def __str__(self) -> str:
        return f"Shipment {self.shipment_id} → {self.to_name}"


class DeliveryReschedule(MerchantOwned):
    """A new delivery day for a parcel (one row per day asked; the same day twice is one)."""

    shipment = models.ForeignKey("fulfillment.Shipment", on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey("fulfillment.Order", on_delete=models.CASCADE, related_name="+")
    requested_by = models.CharField(max_length=8, choices=RequestedBy.choices)
    requested_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    from_promised_from = models.DateTimeField(null=True, blank=True)
    from_promised_until = models.DateTimeField(null=True, blank=True)
    day = models.DateField()
    courier_told = models.CharField(max_length=14, choices=CourierTold.choices)
    courier_note = models.CharField(max_length=300, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "day"], name="one_reschedule_per_day"),
        ]

    def __str__(self) -> str:
        return f"Shipment {self.shipment_id} on {self.day}"


class ExceptionRules(MerchantOwned):
    """What a shopper may do from the tracking page (one per merchant)."""

    shopper_redirect = models.BooleanField(
        "Shoppers may send their parcel to a locker or shop", default=True
    )
    shopper_reschedule = models.BooleanField("Shoppers may pick another delivery day", default=True)
    before_out_for_delivery = models.BooleanField(
        "Allowed before the parcel is out for delivery", default=True
    )
    after_failed_attempt = models.BooleanField("Allowed after a failed attempt", default=True)
    max_reschedule_days = models.PositiveSmallIntegerField(
        "A new day at most this many days ahead",
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(14)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant"], name="one_exception_rules"),
            models.CheckConstraint(
                condition=Q(max_reschedule_days__gte=1, max_reschedule_days__lte=14),
                name="reschedule_days_1_to_14",
            ),
        ]

    def __str__(self) -> str:
        return f"Exception rules of merchant {self.merchant_id}"
