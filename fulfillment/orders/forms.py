"""Forms of the order pages: they parse input; the rules live in the services."""

from __future__ import annotations

from django import forms

from fulfillment.models import Order
from fulfillment.orders.selectors.search import PROBLEMS
from merchant.forms.products import ProductField
from merchant.models import Merchant, Product, StoragePoint
from merchant.services.products import NUMBER_MAX

ADDRESS_CHOICES = [
    ("", "Any address"),
    (PROBLEMS, "With an address problem"),
    (Order.AddressStatus.OVERRIDDEN, "Problem overridden by staff"),
    (Order.AddressStatus.OK, "Address OK"),
]


def _points(merchant: Merchant):
    return StoragePoint.objects.for_merchant(merchant).order_by("name")


class OrderFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        help_text="Order reference, shopper e-mail or ZIP code.",
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *Order.Status.choices]
    )
    point = forms.ModelChoiceField(
        label="Storage point", required=False, queryset=None, empty_label="Any point"
    )
    address = forms.ChoiceField(label="Address", required=False, choices=ADDRESS_CHOICES)
    created_from = forms.DateField(
        label="Created from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label="Created until", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    source = forms.ChoiceField(
        label="Source", required=False, choices=[("", "Any source"), *Order.Source.choices]
    )
    service_level = forms.ChoiceField(
        label="Service",
        required=False,
        choices=[("", "Any service"), *Order.ServiceLevel.choices],
    )
    zip_prefix = forms.RegexField(
        label="ZIP starts with",
        required=False,
        max_length=10,
        regex=r"^[0-9A-Za-z -]+$",
        error_messages={"invalid": "Letters, digits, spaces and dashes only."},
    )
    state = forms.CharField(label="State", required=False, max_length=40)
    country = forms.RegexField(
        label="Country",
        required=False,
        max_length=2,
        regex=r"^[A-Za-z]{2}$",
        help_text="Two letters, like US.",
        error_messages={"invalid": "Two letters, like US."},
    )
    tag = forms.CharField(label="Tag", required=False, max_length=40)

    def __init__(self, *args, merchant: Merchant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = _points(merchant)

    def search_filters(self) -> dict:
        """The valid filters as `search_orders` keyword arguments ({} when the form is bad)."""
        if not self.is_valid():
            return {}
        data = dict(self.cleaned_data)
        data["query"] = data.pop("q", "")
        return data

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("created_from"), data.get("created_to")
        if start and end and start > end:
            self.add_error("created_to", "The end date is before the start date.")
        return data


class AdvanceForm(forms.Form):
    to_status = forms.ChoiceField(label="New status", choices=Order.Status.choices)
    note = forms.CharField(label="Note", required=False, max_length=255)


class CancelForm(forms.Form):
    note = forms.CharField(label="Why cancel?", required=False, max_length=255)


class RerouteForm(forms.Form):
    point = forms.ChoiceField(
        label="Ship from",
        help_text="“Best point” applies the routing rule again with today's stock.",
    )

    def __init__(self, *args, merchant: Merchant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        points = _points(merchant).filter(is_active=True)
        self._points = {str(p.pk): p for p in points}
        self.fields["point"].choices = [("best", "Best point (routing rule)")] + [
            (str(p.pk), p.name) for p in points
        ]

    @property
    def chosen_point(self) -> StoragePoint | None:
        return self._points.get(self.cleaned_data["point"])


class FixAddressForm(forms.Form):
    line1 = forms.CharField(label="Address line 1", required=False, max_length=200)
    line2 = forms.CharField(label="Address line 2", required=False, max_length=200)
    city = forms.CharField(required=False, max_length=100)
    state = forms.CharField(required=False, max_length=40)
    postal_code = forms.CharField(label="ZIP code", max_length=12)
    country = forms.CharField(max_length=2, initial="US")
    shopper_phone = forms.CharField(label="Shopper phone", required=False, max_length=32)


class OverrideAddressForm(forms.Form):
    note = forms.CharField(
        label="Why is the address fine?",
        max_length=255,
        help_text="For example: “Called the shopper, the building is on the ZIP border.”",
    )


class OrderForm(forms.Form):
    reference = forms.CharField(
        label="Order reference", required=False, max_length=80, help_text="Your shop's number."
    )
    shopper_name = forms.CharField(label="Shopper name", max_length=150)
    shopper_email = forms.EmailField(label="Shopper e-mail", required=False)
    shopper_phone = forms.CharField(
        label="Shopper phone", required=False, max_length=32, help_text="Needed for same day."
    )
    line1 = forms.CharField(label="Address line 1", required=False, max_length=200)
    line2 = forms.CharField(label="Address line 2", required=False, max_length=200)
    city = forms.CharField(required=False, max_length=100)
    state = forms.CharField(required=False, max_length=40)
    postal_code = forms.CharField(label="ZIP code", max_length=12)
    country = forms.CharField(max_length=2, initial="US")
    service_level = forms.ChoiceField(
        label="Service level", choices=Order.ServiceLevel.choices, initial="next_day"
    )


class LineForm(forms.Form):
    product = ProductField(label="Product", queryset=Product.objects.none(), required=False)
    quantity = forms.IntegerField(
        label="Quantity", min_value=1, max_value=NUMBER_MAX, required=False
    )

    def __init__(self, *args, merchant: Merchant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.for_merchant(merchant).filter(
            is_active=True
        )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("product") and not data.get("quantity") and "quantity" not in self.errors:
            self.add_error("quantity", "Enter how many.")
        if data.get("quantity") and not data.get("product") and "product" not in self.errors:
            self.add_error("product", "Choose the product.")
        return data


class BaseLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[tuple[Product, int]]:
        return [
            (form.cleaned_data["product"], form.cleaned_data["quantity"])
            for form in self.forms
            if form.cleaned_data.get("product")
        ]

    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.lines():
            raise forms.ValidationError("Add at least one line: a product and a quantity.")


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=3, max_num=200)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file", help_text="UTF-8, at most 5 MB; see the columns below."
    )


class ImportConfirmForm(forms.Form):
    import_id = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)


class BulkForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(Order.Status.PICKED, "Mark picked"), (Order.Status.PACKED, "Mark packed")]
    )
    orders = forms.TypedMultipleChoiceField(coerce=int, choices=())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Any of the merchant's ids: the service scopes them; a bad id is simply not found.
        values = self.data.getlist("orders") if hasattr(self.data, "getlist") else []
        self.fields["orders"].choices = [(v, v) for v in values if str(v).isdigit()]
        self.fields["orders"].error_messages["required"] = "Select at least one order."
