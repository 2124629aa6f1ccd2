"""The vehicle form reads weight in the shop's unit (kg or lb) and volume in litres."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from fulfillment.models import Vehicle
from merchant import units

LITRE_ML = 1000


class VehicleForm(forms.Form):
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=Vehicle.Kind.choices)
    capacity_parcels = forms.IntegerField(label="Parcels it carries", min_value=1, max_value=10_000)
    capacity_weight = forms.DecimalField(
        min_value=Decimal("0.1"), max_value=Decimal(50_000), decimal_places=2
    )
    capacity_litres = forms.DecimalField(
        label="Load space (litres)",
        min_value=Decimal("0.1"),
        max_value=Decimal(100_000),
        decimal_places=1,
    )
    skills = forms.CharField(
        required=False,
        max_length=400,
        help_text="Comma-separated, e.g. age_check, fragile: orders needing one go only to "
        "vehicles that have it.",
    )

    def __init__(self, *args, system: str, vehicle: Vehicle | None = None, **kwargs) -> None:
        self.unit = "lb" if system == units.IMPERIAL else "kg"
        if vehicle is not None and not kwargs.get("initial"):
            kwargs["initial"] = {
                "name": vehicle.name,
                "kind": vehicle.kind,
                "capacity_parcels": vehicle.capacity_parcels,
                "capacity_weight": round(
                    Decimal(vehicle.capacity_g) / units.GRAMS_PER[self.unit], 2
                ),
                "capacity_litres": round(Decimal(vehicle.capacity_ml) / LITRE_ML, 1),
                "skills": ", ".join(vehicle.skills or []),
            }
        super().__init__(*args, **kwargs)
        self.fields["capacity_weight"].label = f"Weight it carries ({self.unit})"

    def grams(self) -> int:
        return max(1, int(self.cleaned_data["capacity_weight"] * units.GRAMS_PER[self.unit]))

    def millilitres(self) -> int:
        return max(1, int(self.cleaned_data["capacity_litres"] * LITRE_ML))
