from __future__ import annotations

import json
from decimal import Decimal

from django import forms

from fulfillment.models import FleetService
from merchant.models import Merchant, StoragePoint


def _cents(value: Decimal | None) -> int:
    return int((value or Decimal(0)) * 100)


class FleetServiceForm(forms.Form):
    hub = forms.ModelChoiceField(queryset=StoragePoint.objects.none())
    name = forms.CharField(max_length=120)
    area_kind = forms.ChoiceField(label="Area", choices=FleetService.AreaKind.choices)
    radius_km = forms.FloatField(label="Radius (km)", required=False, min_value=0.1, max_value=200)
    zip_codes = forms.CharField(
        label="ZIP codes", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    polygon = forms.CharField(
        label="Polygon (GeoJSON)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    per_hour = forms.DecimalField(
        label="Cost per driver hour", min_value=0, max_value=10_000, decimal_places=2
    )
    per_km = forms.DecimalField(
        label="Cost per km", min_value=0, max_value=10_000, decimal_places=2
    )
    per_stop = forms.DecimalField(
        label="Cost per stop", min_value=0, max_value=10_000, decimal_places=2
    )
    service_seconds = forms.IntegerField(
        label="Seconds at each stop", min_value=0, max_value=3600, initial=240
    )
    cutoff = forms.TimeField(
        label="Cut-off",
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text="Orders before this local time go out today.",
    )
    waves = forms.CharField(
        max_length=200, help_text="Departure times from the hub, e.g. 10:00, 15:00."
    )
    window_minutes = forms.IntegerField(
        label="Delivery window (minutes)", min_value=15, max_value=720, initial=120
    )
    is_active = forms.BooleanField(label="Offered to shoppers", required=False, initial=True)

    def __init__(
        self, *args, merchant: Merchant, fleet_service: FleetService | None = None, **kwargs
    ) -> None:
        fs = fleet_service
        if fs is not None and not kwargs.get("initial"):
            kwargs["initial"] = {
                "hub": fs.hub_id, "name": fs.name, "area_kind": fs.area_kind,
                "radius_km": fs.radius_km, "zip_codes": ", ".join(fs.zip_codes or []),
                "polygon": "" if fs.polygon is None else json.dumps(fs.polygon),
                "per_hour": Decimal(fs.per_hour_minor) / 100,
                "per_km": Decimal(fs.per_km_minor) / 100,
                "per_stop": Decimal(fs.per_stop_minor) / 100,
                "service_seconds": fs.service_seconds, "cutoff": fs.cutoff,
                "waves": ", ".join(fs.waves or []), "window_minutes": fs.window_minutes,
                "is_active": fs.is_active,
            }  # fmt: skip
        super().__init__(*args, **kwargs)
        self.fields["hub"].queryset = StoragePoint.objects.filter(
            merchant=merchant, is_active=True, latitude__isnull=False
        )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "hub": data["hub"], "name": data["name"], "area_kind": data["area_kind"],
            "radius_km": data["radius_km"], "zip_codes": data["zip_codes"],
            "polygon": data["polygon"], "per_hour_minor": _cents(data["per_hour"]),
            "per_km_minor": _cents(data["per_km"]), "per_stop_minor": _cents(data["per_stop"]),
            "service_seconds": data["service_seconds"], "cutoff": data["cutoff"],
            "waves": data["waves"], "window_minutes": data["window_minutes"],
            "is_active": data["is_active"],
        }  # fmt: skip
