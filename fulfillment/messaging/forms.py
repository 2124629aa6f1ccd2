"""Forms of the message pages; the rules are in services (templates.validate, brand)."""

from __future__ import annotations

from django import forms

from fulfillment.messaging.services.templates import BODY_MAX, SUBJECT_MAX
from merchant.models import Merchant


class TemplateForm(forms.Form):
    subject = forms.CharField(max_length=SUBJECT_MAX, required=False)
    body = forms.CharField(
        max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 8}), strip=False,
        help_text="Plain text. A blank line starts a new paragraph; {{ names }} are filled in.",
    )  # fmt: skip


class BrandForm(forms.ModelForm):
    website_url = forms.URLField(
        label="Your website", max_length=300, required=False, assume_scheme="https"
    )
    support_url = forms.URLField(
        label="Help page", max_length=300, required=False, assume_scheme="https"
    )

    class Meta:
        model = Merchant
        fields = [
            "brand_color", "accent_color", "reply_to_email", "website_url", "support_url",
            "support_email",
        ]  # fmt: skip
        widgets = {
            "brand_color": forms.TextInput(attrs={"type": "color"}),
            "accent_color": forms.TextInput(attrs={"type": "color"}),
        }
        labels = {
            "brand_color": "Main colour",
            "accent_color": "Accent colour (buttons)",
            "reply_to_email": "Reply-to address",
            "website_url": "Your website",
            "support_url": "Help page",
            "support_email": "Support email",
        }
        help_texts = {
            "brand_color": "The header of the tracking page and emails; the text on it is "
            "white or black, whichever reads better.",
        }
