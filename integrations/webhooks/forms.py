from django import forms
from django.core.exceptions import ValidationError

from integrations.webhooks.events import EVENT_TYPES
from integrations.webhooks.services.endpoints import MAX_DESCRIPTION
from integrations.webhooks.targets import MAX_URL, clean_url


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="URL",
        max_length=MAX_URL,
        help_text="Where Nearbox POSTs the events: http:// or https://, answering 2xx.",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/nearbox/webhooks"}),
        error_messages={"required": "Enter the URL that should receive the events."},
    )
    description = forms.CharField(label="Description", max_length=MAX_DESCRIPTION, required=False)
    events = forms.MultipleChoiceField(
        label="Events",
        choices=[(name, f"{name}: {text}") for name, text in EVENT_TYPES.items()],
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": "Unknown event: %(value)s.",
            "required": "Choose at least one event.",
        },
    )

    def clean_url(self) -> str:
        return clean_url(self.cleaned_data["url"])

    def add_service_error(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error)
