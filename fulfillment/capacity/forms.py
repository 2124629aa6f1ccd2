"""The booked pick-up form: point and account from the merchant's own, weekdays as boxes,
dates as text. The service validates again (capacity/services.py)."""

from __future__ import annotations

from django import forms

from fulfillment.models import CourierAccount, CourierPickup
from fulfillment.models.capacity import MAX_PICKUP_PARCELS
from merchant.models import Merchant, StoragePoint

WEEKDAY_CHOICES = [
    (0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun"),
]  # fmt: skip


class PickupForm(forms.Form):
    point = forms.ModelChoiceField(queryset=StoragePoint.objects.none(), label="Storage point")
    account = forms.ModelChoiceField(queryset=CourierAccount.objects.none(), label="Courier")
    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAY_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Every such day; or give dates below.",
    )
    dates = forms.CharField(
        required=False,
        max_length=800,
        help_text="Extra or one-off pick-ups, YYYY-MM-DD, separated by commas.",
    )
    max_parcels = forms.IntegerField(
        label="Parcels it takes at most", min_value=1, max_value=MAX_PICKUP_PARCELS
    )
    pickup_time = forms.TimeField(required=False, label="Pick-up time")
    note = forms.CharField(required=False, max_length=200)
    is_active = forms.BooleanField(
        required=False, initial=True, label="Booked (counts as capacity)"
    )

    def __init__(
        self, *args, merchant: Merchant, pickup: CourierPickup | None = None, **kwargs
    ) -> None:
        if pickup is not None and not kwargs.get("initial"):
            kwargs["initial"] = {
                "point": pickup.point_id,
                "account": pickup.account_id,
                "weekdays": pickup.weekdays,
                "dates": ", ".join(pickup.dates or []),
                "max_parcels": pickup.max_parcels,
                "pickup_time": pickup.pickup_time,
                "note": pickup.note,
                "is_active": pickup.is_active,
            }
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = StoragePoint.objects.for_merchant(merchant).order_by(
            "name", "pk"
        )
        self.fields["account"].queryset = (
            CourierAccount.objects.for_merchant(merchant)
            .exclude(courier="own_fleet")
            .order_by("name", "pk")
        )
