"""Forms of the shipping desk: they parse input; the rules live in services/."""

from __future__ import annotations

from django import forms
from django.http import QueryDict

from fulfillment.models import CourierService
from fulfillment.orders.forms import OrderFilterForm
from merchant.models import Merchant


def _services(merchant: Merchant):
    return (
        CourierService.objects.filter(
            account__merchant=merchant, is_active=True, account__is_active=True
        )
        .select_related("account")
        .order_by("account__name", "name")
    )


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: CourierService) -> str:
        return f"{obj.account.name}: {obj.name}"


class ShipRunForm(forms.Form):
    """ "Ship selected" on the order list: ticked orders, or every order the filter matches."""

    orders = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=False)
    all_matching = forms.BooleanField(required=False)
    filter = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    service = ServiceChoiceField(
        label="Service",
        queryset=CourierService.objects.none(),
        required=False,
        empty_label="The rule's choice for each order",
    )

    def __init__(self, *args, merchant: Merchant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.merchant = merchant
        self.fields["service"].queryset = _services(merchant)
        # Any id: the service scopes them to the merchant; a bad one is named there.
        values = self.data.getlist("orders") if hasattr(self.data, "getlist") else []
        self.fields["orders"].choices = [(v, v) for v in values if str(v).isdigit()]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("all_matching"):
            filters = OrderFilterForm(QueryDict(data.get("filter") or ""), merchant=self.merchant)
            if not filters.is_valid():
                raise forms.ValidationError("The filter is not valid any more: filter again.")
            data["filters"] = filters.search_filters()
        elif not data.get("orders"):
            raise forms.ValidationError(
                "Tick the orders to ship, or “all orders matching the filter”."
            )
        return data


def ship_form(merchant: Merchant) -> ShipRunForm:
    return ShipRunForm(merchant=merchant)


class TagsForm(forms.Form):
    tags = forms.CharField(
        label="Tags",
        required=False,
        max_length=1000,
        help_text="Separate tags with commas, like: gift, fragile.",
    )
