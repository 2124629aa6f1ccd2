"""Forms of the returns portal (shopper) and of the merchant's Returns pages. They only read
input; the rules are in fulfillment/returns/services."""

from __future__ import annotations

from django import forms

from fulfillment.models.returns import ReturnMethod, ReturnSettings
from fulfillment.returns.services.settings import MAX_WINDOW_DAYS


class LookupForm(forms.Form):
    order_number = forms.CharField(
        label="Order number",
        max_length=80,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    email = forms.EmailField(
        label="Email address used for the order",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ReturnChoiceForm(forms.Form):
    """Reason, method and a comment; the quantities are fields named qty_<line id> that the
    view reads itself (any id, so that the service says which is wrong)."""

    reason = forms.ChoiceField(label="Why are you sending it back?")
    method = forms.ChoiceField(label="How will you send it?", widget=forms.RadioSelect)
    comment = forms.CharField(
        label="Anything the shop should know",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, prefs: ReturnSettings, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", "Choose a reason")] + [(r, r) for r in prefs.reasons]
        labels = dict(ReturnMethod.choices)
        self.fields["method"].choices = [(m, labels[m]) for m in prefs.methods]
        if len(prefs.methods) == 1:
            self.fields["method"].initial = prefs.methods[0]


class ReturnSettingsForm(forms.Form):
    window_days = forms.IntegerField(
        label="Return window (days after delivery)", min_value=0, max_value=MAX_WINDOW_DAYS
    )
    reasons = forms.CharField(
        label="Reasons a shopper chooses from",
        help_text="One a line.",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
    )
    auto_approve = forms.BooleanField(label="Approve every request at once", required=False)
    allow_label = forms.BooleanField(label="Shoppers may print a return label", required=False)
    allow_dropoff = forms.BooleanField(
        label="Shoppers may drop the parcel off with a code",
        help_text="At the storage point the order left from, or in the order's own locker.",
        required=False,
    )

    @classmethod
    def for_settings(cls, prefs: ReturnSettings, data=None) -> ReturnSettingsForm:
        return cls(
            data,
            initial={
                "window_days": prefs.window_days,
                "reasons": "\n".join(prefs.reasons),
                "auto_approve": prefs.auto_approve,
                "allow_label": prefs.allow_label,
                "allow_dropoff": prefs.allow_dropoff,
            },
        )


class DecisionForm(forms.Form):
    note = forms.CharField(label="Note", required=False, max_length=500)


class ReceiveCodeForm(forms.Form):
    code = forms.CharField(label="Drop-off code", max_length=20)
