"""Forms of the plan pages: plan a wave, move a stop."""

from __future__ import annotations

import datetime as dt

from django import forms

from fulfillment.models import FleetService, Route, RoutePlan, RouteStop
from merchant.models import Merchant, StoragePoint


class PlanWaveForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    wave = forms.TimeField(
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text="The wave's departure (empty: every order of the day).",
    )
    hubs = forms.ModelMultipleChoiceField(
        queryset=StoragePoint.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Hubs with an own-fleet service; several are planned together.",
    )

    def __init__(self, *args, merchant: Merchant, today: dt.date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        hub_ids = FleetService.objects.for_merchant(merchant).filter(is_active=True)
        self.fields["hubs"].queryset = StoragePoint.objects.for_merchant(merchant).filter(
            pk__in=hub_ids.values("hub_id")
        )
        self.fields["date"].initial = today
        if self.fields["hubs"].queryset.count() == 1:
            self.fields["hubs"].initial = list(self.fields["hubs"].queryset)


class MoveStopForm(forms.Form):
    stop = forms.ModelChoiceField(queryset=RouteStop.objects.none())
    route = forms.ModelChoiceField(queryset=Route.objects.none())
    position = forms.IntegerField(
        required=False, min_value=1, max_value=10_000, help_text="1 = first; empty = last."
    )

    def __init__(self, *args, plan: RoutePlan, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stop"].queryset = RouteStop.objects.filter(plan=plan)
        self.fields["route"].queryset = Route.objects.filter(plan=plan)
