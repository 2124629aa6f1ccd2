from django import forms


class NetworkImportForm(forms.Form):
    file = forms.FileField(
        label="CSV or GeoJSON file",
        help_text="Columns or properties: kind (locker or shop), ref, name, address_line, city, "
        "postal_code, and optionally state, country, network, operator, latitude, longitude, "
        "opening_hours, compartments (e.g. S:12,M:8,L:4), holding_capacity, staff_name, "
        "staff_phone, staff_email, active. Up to 10 MB.",
    )


class NetworkFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label="Show",
        choices=[("locker", "Locker banks"), ("shop", "Pickup shops")],
        required=False,
    )
    active = forms.ChoiceField(
        label="Status",
        choices=[("", "All"), ("yes", "Active"), ("no", "Inactive")],
        required=False,
    )


class TrackingNumberForm(forms.Form):
    tracking_number = forms.CharField(
        label="Tracking number",
        max_length=160,  # or the label's QR: NBX1-IN:<place>:<tracking number>
        help_text="Scan the label's barcode or QR code, or type the number printed under it.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class PickupCodeForm(forms.Form):
    code = forms.CharField(
        label="Pickup code",
        max_length=120,
        help_text="The 6-digit code from the shopper's message, or scan its QR code.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class ReservationFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", required=False)
    bank = forms.TypedChoiceField(label="Locker bank", required=False, coerce=int, empty_value=None)
    q = forms.CharField(
        label="Order or compartment",
        required=False,
        max_length=64,
        help_text="An order reference (or part of it), or a compartment label.",
    )

    def __init__(self, *args, banks: list[tuple[int, str]], **kwargs) -> None:
        from lockers.models import Reservation

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "All"), *Reservation.Status.choices]
        self.fields["bank"].choices = [("", "All locker banks"), *banks]

    def clean_q(self) -> str:
        return " ".join(self.cleaned_data["q"].split())
