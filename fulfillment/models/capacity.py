"""Capacity advice: courier pick-ups booked per point (#20 item 5).

A booked pick-up is a standing arrangement with a courier: on these weekdays (or these dates)
the courier collects up to ``max_parcels`` parcels at one storage point. The capacity page adds
them to the own drivers' shifts to say whether a coming day's parcels leave the point.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from merchant.models import MerchantOwned

__all__ = ["CourierPickup"]

MAX_PICKUP_PARCELS = 100_000


class CourierPickup(MerchantOwned):
    point = models.ForeignKey(
        "merchant.StoragePoint", on_delete=models.CASCADE, related_name="courier_pickups"
    )
    account = models.ForeignKey(
        "fulfillment.CourierAccount", on_delete=models.CASCADE, related_name="pickups"
    )
    # Monday = 0 … Sunday = 6: every such day; and/or specific dates as "YYYY-MM-DD".
    weekdays = models.JSONField(default=list, blank=True)
    dates = models.JSONField(default=list, blank=True)
    max_parcels = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PICKUP_PARCELS)],
        help_text="The most parcels this pick-up takes.",
    )
    pickup_time = models.TimeField(null=True, blank=True, help_text="Local time at the point.")
    note = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["point_id", "pickup_time", "pk"]
        indexes = [models.Index(fields=["merchant", "point"], name="capacity_pickup_point")]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_parcels__gte=1), name="capacity_pickup_parcels_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account} at {self.point}: up to {self.max_parcels}"

    @property
    def weekday_names(self) -> list[str]:
        names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        return [names[d] for d in self.weekdays or [] if isinstance(d, int) and 0 <= d <= 6]
