from __future__ import annotations

from django import forms

from fulfillment.models import Driver, Shift, Vehicle
from merchant.models import Merchant, StoragePoint


class ShiftForm(forms.Form):
    driver = forms.ModelChoiceField(queryset=Driver.objects.none())
    vehicle = forms.ModelChoiceField(queryset=Vehicle.objects.none())
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    starts_at = forms.TimeField(label="Starts", widget=forms.TimeInput(attrs={"type": "time"}))
    ends_at = forms.TimeField(label="Ends", widget=forms.TimeInput(attrs={"type": "time"}))
    start_point = forms.ModelChoiceField(
        label="Starts at hub", queryset=StoragePoint.objects.none(), required=False
    )
    start_address = forms.CharField(
        label="…or starts at this address",
        max_length=200,
        required=False,
        help_text="E.g. the driver's home; looked up on the map when saved.",
    )
    end_point = forms.ModelChoiceField(
        label="Ends at hub", queryset=StoragePoint.objects.none(), required=False
    )
    end_address = forms.CharField(
        label="…or ends at this address",
        max_length=200,
        required=False,
        help_text="Leave both empty to end where the shift starts.",
    )
    breaks = forms.CharField(
        required=False,
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line: 12:00-14:00 30 is a 30-minute break taken between "
        "12:00 and 14:00.",
    )

    def __init__(self, *args, merchant: Merchant, shift: Shift | None = None, **kwargs) -> None:
        if shift is not None and not kwargs.get("initial"):
            kwargs["initial"] = {
                "driver": shift.driver_id,
                "vehicle": shift.vehicle_id,
                "date": shift.date,
                "starts_at": shift.starts_at,
                "ends_at": shift.ends_at,
                "start_point": shift.start_point_id,
                "end_point": shift.end_point_id,
                "breaks": "\n".join(
                    f"{b['start']}-{b['end']} {b['minutes']}" for b in shift.breaks or []
                ),
            }
        super().__init__(*args, **kwargs)
        self.fields["driver"].queryset = Driver.objects.for_merchant(merchant).filter(
            is_active=True
        )
        self.fields["vehicle"].queryset = Vehicle.objects.for_merchant(merchant).filter(
            is_active=True
        )
        points = StoragePoint.objects.filter(
            merchant=merchant, is_active=True, latitude__isnull=False
        )
        self.fields["start_point"].queryset = points
        self.fields["end_point"].queryset = points

    def clean(self) -> dict:
        data = super().clean()
        for side in ("start", "end"):
            if data.get(f"{side}_point") and data.get(f"{side}_address", "").strip():
                self.add_error(f"{side}_address", "Choose a hub or type an address, not both.")
        return data
