"""The connect form, built from the platform connector's credential fields."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from integrations.platforms.base import PlatformConnector
from integrations.platforms.connections import MAX_BACKFILL_DAYS

MAX_CREDENTIAL = 500


class ConnectStoreForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=120,
        required=False,
        help_text="How Nearbox shows this store; the store's address when left empty.",
    )
    shop_url = forms.CharField(label="Store address", max_length=300)
    backfill_days = forms.IntegerField(
        label="Import open orders of the last … days",
        min_value=0,
        max_value=MAX_BACKFILL_DAYS,
        initial=7,
        help_text="0 imports nothing; new orders arrive by webhook from now on.",
    )

    def __init__(self, *args, connector: type[PlatformConnector], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.connector = connector
        self.fields["shop_url"].label = connector.shop_url_label
        self.fields["shop_url"].help_text = connector.shop_url_help
        self.credential_names = []
        for spec in connector.credential_fields:
            widget = forms.PasswordInput(render_value=False) if spec.secret else forms.TextInput()
            self.fields[f"credential_{spec.name}"] = forms.CharField(
                label=spec.label,
                help_text=spec.help,
                required=spec.required,
                max_length=MAX_CREDENTIAL,
                strip=True,
                widget=widget,
            )
            self.credential_names.append(spec.name)

    def credentials(self) -> dict[str, str]:
        return {
            name: self.cleaned_data.get(f"credential_{name}") or ""
            for name in self.credential_names
            if self.cleaned_data.get(f"credential_{name}")
        }

    def add_service_error(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error)
