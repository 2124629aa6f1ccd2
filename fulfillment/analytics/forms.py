"""The Analytics page's filter form: a GET form that works without JavaScript. It only renders
the choices and carries the values; `parse_filters` (filters.py) is the one rule for what a
valid filter is, and its errors land on the fields they name."""

from __future__ import annotations

import datetime as dt

from django import forms

from fulfillment.analytics.filters import (
    OWN_FLEET,
    AnalyticsFilterError,
    AnalyticsFilters,
    default_filters,
    parse_filters,
)
from fulfillment.models import CourierAccount, CourierService, Order
from merchant.models import Merchant, StoragePoint

PRESETS = (7, 30, 90)
COMPARE_CHOICES = [("previous", "The previous period"), ("none", "Nothing")]


def _select(label: str, choices: list[tuple[str, str]]) -> forms.CharField:
    # A CharField behind a <select>: parse_filters, not ChoiceField, judges the value, so a
    # bad id gets the same message here as in the API.
    return forms.CharField(label=label, required=False, widget=forms.Select(choices=choices))


class AnalyticsFilterForm(forms.Form):
    date_from = forms.CharField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.CharField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    compare = forms.ChoiceField(
        label="Compare with", required=False, choices=COMPARE_CHOICES, initial="previous"
    )
    point_id = _select("Storage point", [])
    carrier = _select("Courier", [])
    service_id = _select("Service", [])
    zip = forms.CharField(
        label="Destination ZIP",
        required=False,
        max_length=64,
        help_text="A ZIP code or its first digits.",
    )
    channel = _select("Channel", [("", "Any channel"), *Order.Source.choices])

    def __init__(self, data, *, merchant: Merchant, today: dt.date | None = None) -> None:
        # The merchant's today: presets end on it and a period ending on it shows its preset.
        today = default_filters(merchant, today=today).date_to
        super().__init__(_with_preset(data, today))
        self.merchant, self.today = merchant, today
        self.filters: AnalyticsFilters | None = None
        points = StoragePoint.objects.for_merchant(merchant).order_by("name")
        accounts = CourierAccount.objects.for_merchant(merchant).order_by("name")
        services = (
            CourierService.objects.for_merchant(merchant)
            .select_related("account")
            .order_by("account__name", "name")
        )
        self.fields["point_id"].widget.choices = [
            ("", "Any point"),
            *((str(p.pk), p.name) for p in points),
        ]
        self.fields["carrier"].widget.choices = [
            ("", "Any courier or own fleet"),
            (OWN_FLEET, "Own fleet"),
            *((str(a.pk), a.name) for a in accounts),
        ]
        self.fields["service_id"].widget.choices = [
            ("", "Any service"),
            *((str(s.pk), f"{s.account.name}: {s.name}") for s in services),
        ]

    @property
    def with_previous(self) -> bool:
        return (self.data.get("compare") or "previous") != "none"

    def clean(self) -> dict:
        data = super().clean()
        try:
            self.filters = parse_filters(self.merchant, self.data, today=self.today)
        except AnalyticsFilterError as error:
            for name, message in error.errors.items():
                self.add_error(name if name in self.fields else None, message)
            return data
        # Show the period the figures are for (the default one when no date was given).
        self.data["date_from"] = self.filters.date_from.isoformat()
        self.data["date_to"] = self.filters.date_to.isoformat()
        self.data["zip"] = self.filters.zip
        return data


def _with_preset(data, today: dt.date):
    """A preset button ("Last 7 days") sets the dates it stands for, ending today, and the
    form shows them; the preset itself is not kept (the page's URL carries the dates)."""
    data = data.copy()
    preset = data.get("preset")
    data.pop("preset", None)
    if preset in {str(n) for n in PRESETS}:
        data["date_from"] = (today - dt.timedelta(days=int(preset) - 1)).isoformat()
        data["date_to"] = today.isoformat()
    return data
