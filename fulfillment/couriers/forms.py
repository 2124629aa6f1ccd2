"""Forms of the couriers pages: they shape input; the services validate and write."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import escape

from fulfillment.couriers.adapters.base import courier_choices
from fulfillment.couriers.services.accounts import (
    MADE_ELSEWHERE,
    check_credentials,
    credential_fields_for,
)
from fulfillment.models import CourierAccount, CourierService, ServiceArea, ShippingSettings
from fulfillment.shipments.services.booking import FAILED_REASONS

CREDENTIAL_PREFIX = "credential_"


class CredentialInput(forms.CharField):
    """Marked required when the courier needs it, but an empty one is judged in
    AccountForm.clean (check_credentials): the value may come from the textarea instead."""

    def validate(self, value: str) -> None:
        if value:
            super().validate(value)


class AccountForm(forms.Form):
    """The account, and one input per credential the chosen courier's adapter asks for
    (adapter.credential_fields: a karrio carrier's come from its Settings). The name=value
    textarea stays for anything else (and `env:` references). Both are write-only."""

    courier = forms.ChoiceField(choices=courier_choices)
    name = forms.CharField(max_length=120)
    credentials = forms.CharField(
        required=False,
        label="Credentials (name=value)",
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
        help_text="One <code>name=value</code> per line (e.g. <code>api_key=…</code>), or "
        "<code>api_key=env:NEARBOX_COURIER_KEY</code> to read it from the server's environment "
        "(variables named NEARBOX_COURIER_…). Write-only: "
        "leave empty to keep the stored credentials.",
    )
    base_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label="API base URL",
        help_text="Empty: the courier's default.",
    )
    requests_per_second = forms.FloatField(initial=5, min_value=0.1, max_value=1000)
    currency = forms.CharField(max_length=3, initial="USD")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args, account: CourierAccount | None = None, **kwargs) -> None:
        if account is not None:
            kwargs.setdefault(
                "initial",
                {
                    f: getattr(account, f)
                    for f in (
                        "courier", "name", "base_url", "requests_per_second", "currency",
                        "is_active",
                    )
                },
            )  # fmt: skip
        super().__init__(*args, **kwargs)
        self.fields["credentials"].widget.is_required = False
        self.account = account
        # Own drivers' accounts are made per hub by Fleet → Own delivery (MADE_ELSEWHERE says
        # why): not offered here, except on the edit page of such an account.
        kept = account.courier if account is not None else ""
        self.fields["courier"].choices = [
            (code, name)
            for code, name in courier_choices()
            if code not in MADE_ELSEWHERE or code == kept
        ]
        self.courier_code = str(
            (self.data.get("courier") if self.is_bound else None)
            or self.initial.get("courier")
            or ""
        )
        self.credential_fields = credential_fields_for(self.courier_code)
        self.courier_name = dict(courier_choices()).get(self.courier_code, self.courier_code)
        for field in self.credential_fields:
            widget = (
                forms.PasswordInput(attrs={"autocomplete": "new-password"})
                if field.secret
                else forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"})
            )
            help_parts = [f"<code>{escape(field.name)}</code>", escape(field.help)]
            self.fields[CREDENTIAL_PREFIX + field.name] = CredentialInput(
                required=field.required and account is None,  # editing: empty keeps the stored
                max_length=4000,
                label=field.label,
                widget=widget,
                help_text=" ".join(p for p in help_parts if p),
            )

    def credential_inputs(self) -> list:
        return [self[CREDENTIAL_PREFIX + f.name] for f in self.credential_fields]

    def account_inputs(self) -> list:
        return [f for f in self if not f.name.startswith(CREDENTIAL_PREFIX)]

    def clean(self) -> dict:
        data = super().clean()
        lines = [data.get("credentials") or ""]
        for field in self.credential_fields:
            value = (data.pop(CREDENTIAL_PREFIX + field.name, "") or "").strip()
            if value:
                if "\n" in value or "\r" in value:
                    self.add_error(CREDENTIAL_PREFIX + field.name, "One line only.")
                    continue
                lines.append(f"{field.name}={value}")
        data["credentials"] = "\n".join(line for line in lines if line.strip())
        if data.get("courier") and not self.errors:
            try:
                check_credentials(
                    courier=data["courier"], credentials=data["credentials"], account=self.account
                )
            except ValidationError as exc:
                for message in exc.message_dict.get("credentials", []):
                    self.add_error("credentials" if not self.credential_fields else None, message)
                    for field in self.credential_fields:
                        if f"({field.name})" in message:
                            self.add_error(CREDENTIAL_PREFIX + field.name, "Required.")
        return data


class ServiceForm(forms.Form):
    level = forms.ChoiceField(choices=CourierService.Level.choices)
    code = forms.CharField(max_length=64, help_text="The courier's own code, e.g. next-day.")
    name = forms.CharField(max_length=120)
    transit_hours = forms.IntegerField(
        min_value=1, label="Transit promise (hours)", help_text="48 for two days."
    )
    pickup_cutoff = forms.TimeField(
        label="Pick-up cut-off (local)", widget=forms.TimeInput(attrs={"type": "time"})
    )
    max_weight_g = forms.IntegerField(required=False, min_value=1, label="Max weight (g)")
    max_length_mm = forms.IntegerField(required=False, min_value=1, label="Max length (mm)")
    max_width_mm = forms.IntegerField(required=False, min_value=1, label="Max width (mm)")
    max_height_mm = forms.IntegerField(required=False, min_value=1, label="Max height (mm)")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    # rate card
    base_minor = forms.IntegerField(min_value=0, label="Base (cents)")
    per_km_minor = forms.IntegerField(min_value=0, initial=0, label="Per km (cents)")
    per_kg_minor = forms.IntegerField(min_value=0, initial=0, label="Per kg (cents)")
    size_surcharges = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Size surcharges",
        help_text="By dimensional weight (L×W×H cm ÷ 5000), JSON: "
        '<code>[{"over_g": 5000, "surcharge": 300}]</code>.',
    )
    fuel_pct = forms.DecimalField(
        min_value=0, max_value=100, decimal_places=2, initial=0, label="Fuel surcharge (%)"
    )
    minimum_minor = forms.IntegerField(min_value=0, initial=0, label="Minimum (cents)")

    SERVICE = (
        "level", "code", "name", "transit_hours", "pickup_cutoff", "max_weight_g",
        "max_length_mm", "max_width_mm", "max_height_mm", "is_active",
    )  # fmt: skip
    RATE = (
        "base_minor", "per_km_minor", "per_kg_minor", "size_surcharges", "fuel_pct",
        "minimum_minor",
    )  # fmt: skip

    def __init__(self, *args, service: CourierService | None = None, **kwargs) -> None:
        if service is not None:
            initial = {f: getattr(service, f) for f in self.SERVICE + self.RATE}
            import json

            initial["size_surcharges"] = (
                json.dumps(service.size_surcharges) if service.size_surcharges else ""
            )
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)

    def service_fields(self) -> list:
        return [self[f] for f in self.SERVICE]

    def rate_fields(self) -> list:
        return [self[f] for f in self.RATE]


class AreaForm(forms.Form):
    kind = forms.ChoiceField(choices=ServiceArea.Kind.choices, widget=forms.RadioSelect)
    name = forms.CharField(max_length=120, required=False)
    service = forms.ModelChoiceField(
        queryset=CourierService.objects.none(),
        required=False,
        empty_label="Every service of this account",
        help_text="An area for one service replaces the account's areas for that service.",
    )
    center_latitude = forms.FloatField(required=False, label="Centre latitude")
    center_longitude = forms.FloatField(required=False, label="Centre longitude")
    radius_km = forms.FloatField(required=False, label="Radius (km)")
    zip_codes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="ZIP codes",
        help_text="Separated by spaces, commas or new lines.",
    )
    polygon = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        label="GeoJSON polygon",
        help_text="A Polygon or MultiPolygon, coordinates as [longitude, latitude].",
    )

    def __init__(self, *args, account: CourierAccount, area: ServiceArea | None = None, **kw):
        if area is not None:
            import json

            kw.setdefault(
                "initial",
                {
                    "kind": area.kind,
                    "name": area.name,
                    "service": area.service_id,
                    "center_latitude": area.center_latitude,
                    "center_longitude": area.center_longitude,
                    "radius_km": area.radius_km,
                    "zip_codes": " ".join(area.zip_codes),
                    "polygon": json.dumps(area.polygon, indent=1) if area.polygon else "",
                },
            )
        super().__init__(*args, **kw)
        self.fields["service"].queryset = CourierService.objects.filter(account=account)


class RuleForm(forms.Form):
    rule = forms.ChoiceField(choices=ShippingSettings.Rule.choices, widget=forms.RadioSelect)
    preferred_account = forms.ModelChoiceField(
        queryset=CourierAccount.objects.none(),
        required=False,
        help_text="For the preferred-courier rule.",
    )
    tolerance_pct = forms.IntegerField(
        min_value=0,
        max_value=500,
        initial=10,
        label="Price tolerance (%)",
        help_text="The preferred courier is used while it costs at most this much more than "
        "the cheapest.",
    )

    def __init__(self, *args, merchant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["preferred_account"].queryset = CourierAccount.objects.for_merchant(merchant)


class DriverStatusForm(forms.Form):
    shipment_id = forms.IntegerField()
    action = forms.ChoiceField(
        choices=[(a, a) for a in ("picked_up", "out_for_delivery", "delivered", "failed")]
    )
    photo = forms.FileField(required=False)
    signature = forms.CharField(required=False)
    reason = forms.ChoiceField(choices=[("", "—"), *FAILED_REASONS.items()], required=False)
