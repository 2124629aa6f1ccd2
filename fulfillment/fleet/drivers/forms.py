from __future__ import annotations

from django import forms

from fulfillment.models import Driver


class DriverForm(forms.Form):
    name = forms.CharField(max_length=120)
    email = forms.CharField(
        label="Email address",
        max_length=254,
        required=False,
        help_text="For a sign-in link by email.",
    )
    phone = forms.CharField(
        label="Mobile number",
        max_length=32,
        required=False,
        help_text="For a sign-in link by text message.",
    )
    channels = forms.MultipleChoiceField(
        label="Send a sign-in link by",
        choices=[("email", "Email"), ("sms", "Text message")],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, driver: Driver | None = None, **kwargs) -> None:
        if driver is not None and not kwargs.get("initial"):
            kwargs["initial"] = {"name": driver.name, "email": driver.email, "phone": driver.phone}
        super().__init__(*args, **kwargs)
        if driver is not None:
            del self.fields["channels"]


class SendLinkForm(forms.Form):
    channels = forms.MultipleChoiceField(
        choices=[("email", "Email"), ("sms", "Text message")], required=True
    )
