"""The address risk settings form: on/off and the threshold as a percentage."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from fulfillment.models.risk import AddressRiskSettings


class RiskSettingsForm(forms.Form):
    enabled = forms.BooleanField(
        required=False,
        label="Put a nearby locker or pickup shop first when a home delivery is likely to fail",
    )
    threshold_percent = forms.DecimalField(
        label="Act when the chance of a failed home delivery is at least (%)",
        min_value=Decimal(1),
        max_value=Decimal(99),
        decimal_places=1,
        max_digits=4,
        help_text="Between 1 and 99. Lower moves more orders to lockers and shops.",
    )

    @classmethod
    def for_settings(cls, prefs: AddressRiskSettings, data=None) -> RiskSettingsForm:
        initial = {"enabled": prefs.enabled, "threshold_percent": round(prefs.threshold * 100, 1)}
        return cls(data, initial=initial)


class PreviewForm(forms.Form):
    threshold_percent = forms.DecimalField(
        min_value=Decimal(1), max_value=Decimal(99), decimal_places=1, max_digits=4
    )
