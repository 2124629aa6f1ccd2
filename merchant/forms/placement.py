from django import forms

from merchant.models import StoragePoint
from merchant.services.placement import DEFAULT_COVER_DAYS, DEFAULT_HISTORY_DAYS


class PlanRequestForm(forms.Form):
    mode = forms.ChoiceField(
        choices=[
            ("pmedian", "Closest to customers: choose how many points to use"),
            ("cost", "Lowest total cost: storage cost against delivery distance, within capacity"),
        ],
        widget=forms.RadioSelect,
        initial="pmedian",
    )
    k = forms.IntegerField(
        label="Number of points",
        min_value=1,
        max_value=50,
        initial=2,
        help_text="Used by “closest to customers”.",
    )
    candidates = forms.ModelMultipleChoiceField(
        queryset=StoragePoint.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Points the plan may use; none ticked means all with an address.",
    )
    history_days = forms.IntegerField(
        label="Order history (days)", min_value=14, max_value=730, initial=DEFAULT_HISTORY_DAYS
    )
    cover_days = forms.IntegerField(
        label="Stock cover (days)",
        min_value=1,
        max_value=120,
        initial=DEFAULT_COVER_DAYS,
        help_text="How many days of demand each point should hold.",
    )

    def __init__(self, *args, merchant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["candidates"].queryset = StoragePoint.objects.for_merchant(merchant).filter(
            latitude__isnull=False
        )
