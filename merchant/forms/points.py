"""The storage-point form: the model's fields, money in dollars (stored as cents), and an
opening-hours editor of seven rows (open, close, closed) that needs no JavaScript."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from merchant.hours import DAY_NAMES
from merchant.models import StoragePoint
from merchant.models.points import WEEKDAYS
from merchant.services.points import opening_hours_problems

TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
MONEY_MAX = Decimal("21474836.47")  # the int4 ceiling, in cents
# A new point starts open on weekdays; the merchant edits what differs.
DEFAULT_HOURS = {day: [["09:00", "18:00"]] for day in WEEKDAYS[:5]}
MAIN_FIELDS = [
    "name",
    "kind",
    "role",
    "address_line",
    "city",
    "state",
    "postal_code",
    "country",
    "capacity_units",
    "capacity_m3",
    "monthly_cost",
    "cost_per_order",
    "same_day_cutoff",
]


def money_field(label: str, currency: str, example: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=f"{label} ({currency})",
        max_digits=10,
        decimal_places=2,
        min_value=0,
        max_value=MONEY_MAX,
        initial=Decimal("0.00"),
        help_text=f"In {currency} with up to 2 decimals, e.g. {example}; stored in cents.",
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


class StoragePointForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="Unique among your storage points.")
    kind = forms.ChoiceField(choices=StoragePoint.Kind.choices)
    role = forms.ChoiceField(
        choices=StoragePoint.Role.choices,
        help_text="Candidates are places the placement advisor may recommend opening.",
    )
    address_line = forms.CharField(label="Street address", max_length=200)
    city = forms.CharField(max_length=100)
    state = forms.CharField(max_length=40, required=False)
    postal_code = forms.CharField(
        label="ZIP / postal code",
        max_length=12,
        help_text="Used to place the point on the map. A code that cannot be located saves "
        "the point as inactive until it is corrected.",
    )
    country = forms.CharField(
        max_length=3,
        initial="US",
        help_text="Two-letter code. The built-in geocoder knows US ZIP codes.",
    )
    capacity_units = forms.IntegerField(
        label="Capacity (units)", min_value=1, initial=1000, help_text="Units it can hold."
    )
    capacity_m3 = forms.DecimalField(
        label="Capacity (m³)", max_digits=8, decimal_places=2, min_value=0, initial=10
    )
    same_day_cutoff = forms.TimeField(
        label="Same-day cut-off",
        required=False,
        widget=TIME_WIDGET,
        help_text="Local time; orders after it ship the next day. Leave empty for no same-day.",
    )

    def __init__(self, *args: Any, currency: str, point: StoragePoint | None = None, **kwargs):
        if point is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_from_point(point)
        super().__init__(*args, **kwargs)
        self.fields["monthly_cost"] = money_field("Monthly cost", currency, "1250.00")
        self.fields["cost_per_order"] = money_field("Cost per order", currency, "1.75")
        self.order_fields(MAIN_FIELDS)
        hours = (point.opening_hours if point is not None else DEFAULT_HOURS) or {}
        self.split_days = []
        for day in WEEKDAYS:
            name = DAY_NAMES[day]
            periods = hours.get(day) or []
            if len(periods) > 1:
                self.split_days.append(name)
            self.fields[f"hours_{day}_open"] = forms.TimeField(
                label=f"{name} opens", required=False, widget=TIME_WIDGET
            )
            self.fields[f"hours_{day}_close"] = forms.TimeField(
                label=f"{name} closes", required=False, widget=TIME_WIDGET
            )
            self.fields[f"hours_{day}_closed"] = forms.BooleanField(
                label=f"Closed on {name}", required=False
            )
            if not self.is_bound:
                self.initial.setdefault(f"hours_{day}_open", periods[0][0] if periods else None)
                self.initial.setdefault(f"hours_{day}_close", periods[-1][1] if periods else None)
                self.initial.setdefault(f"hours_{day}_closed", not periods)

    @property
    def hours_rows(self) -> list[dict]:
        """One row per weekday for the template: its name, its three inputs and its errors."""
        return [
            {
                "day": day,
                "name": DAY_NAMES[day],
                "open": self[f"hours_{day}_open"],
                "close": self[f"hours_{day}_close"],
                "closed": self[f"hours_{day}_closed"],
                "errors": [
                    *self[f"hours_{day}_open"].errors,
                    *self[f"hours_{day}_close"].errors,
                ],
            }
            for day in WEEKDAYS
        ]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in MAIN_FIELDS]

    def clean(self) -> dict:
        data = super().clean()
        hours: dict[str, list[list[str]]] = {}
        for day in WEEKDAYS:
            if data.get(f"hours_{day}_closed"):
                hours[day] = []
                continue
            opens, closes = data.get(f"hours_{day}_open"), data.get(f"hours_{day}_close")
            if f"hours_{day}_open" in self.errors or f"hours_{day}_close" in self.errors:
                continue
            if opens is None or closes is None:
                self.add_error(
                    f"hours_{day}_open",
                    f"{DAY_NAMES[day]}: enter the opening and closing times, or tick Closed.",
                )
                continue
            hours[day] = [[opens.strftime("%H:%M"), closes.strftime("%H:%M")]]
        # The rules live in the service; here they only pick the row to show the error on.
        for day, message in opening_hours_problems(hours):
            self.add_error(f"hours_{day}_open" if day else None, message)
        data["opening_hours"] = hours
        return data

    def service_fields(self) -> dict[str, Any]:
        """The cleaned data as the service takes it: money in minor units."""
        data = self.cleaned_data
        fields = {name: data[name] for name in [*MAIN_FIELDS, "opening_hours"]}
        fields["monthly_cost"] = int(data["monthly_cost"] * 100)
        fields["cost_per_order"] = int(data["cost_per_order"] * 100)
        return fields


def cents_to_amount(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def initial_from_point(point: StoragePoint) -> dict[str, Any]:
    return {
        "name": point.name,
        "kind": point.kind,
        "role": point.role,
        "address_line": point.address_line,
        "city": point.city,
        "state": point.state,
        "postal_code": point.postal_code,
        "country": point.country,
        "capacity_units": point.capacity_units,
        "capacity_m3": point.capacity_m3,
        "same_day_cutoff": point.same_day_cutoff,
        "monthly_cost": cents_to_amount(point.monthly_cost),
        "cost_per_order": cents_to_amount(point.cost_per_order),
    }


class DeactivateForm(forms.Form):
    reason = forms.CharField(
        max_length=255,
        required=False,
        help_text="Why it is out of use (shown in the list), e.g. “Closed for renovation”.",
    )
