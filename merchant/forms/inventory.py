"""Forms of the inventory pages: they parse input; the rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms

from merchant import units
from merchant.forms.products import ProductField
from merchant.forms.units import LengthField, WeightField
from merchant.models import Merchant, Product, StockMovement, StoragePoint, Transfer
from merchant.services import inventory_csv
from merchant.services.products import NUMBER_MAX

# [is weight][is imperial]
PRODUCT_UNIT_HELP = {
    False: {
        False: "E.g. 30 cm; a number alone is mm.",
        True: "E.g. 12.5 in; a number alone is mm.",
    },
    True: {
        False: "E.g. 1.2 kg; a number alone is grams.",
        True: "E.g. 1 lb 6 oz; a number alone is grams.",
    },
}


class ProductForm(forms.Form):
    sku = forms.CharField(label="SKU", max_length=64)
    name = forms.CharField(max_length=200)
    weight_g = WeightField(label="Weight", max_value=NUMBER_MAX)
    length_mm = LengthField(label="Length", max_value=NUMBER_MAX)
    width_mm = LengthField(label="Width", max_value=NUMBER_MAX)
    height_mm = LengthField(label="Height", max_value=NUMBER_MAX)
    value = forms.IntegerField(
        label="Unit value (cents)",
        min_value=0,
        initial=0,
        help_text="Minor units: 1250 = 12.50.",
    )

    def __init__(self, *args: Any, unit_system: str = units.METRIC, **kwargs: Any) -> None:
        """Weights and sizes are typed in any unit and shown in the merchant's."""
        super().__init__(*args, **kwargs)
        for name in ("weight_g", "length_mm", "width_mm", "height_mm"):
            field = self.fields[name]
            field.unit_system = unit_system
            field.help_text = PRODUCT_UNIT_HELP[name == "weight_g"][unit_system == units.IMPERIAL]


class ProductSearchForm(forms.Form):
    q = forms.CharField(label="Search by SKU or name", required=False, max_length=100)


def _points_field(merchant: Merchant, label: str, **kwargs) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label,
        queryset=StoragePoint.objects.for_merchant(merchant).filter(is_active=True),
        **kwargs,
    )


class ReceiveStockForm(forms.Form):
    point = forms.ModelChoiceField(label="Storage point", queryset=StoragePoint.objects.none())
    quantity = forms.IntegerField(label="Units received", min_value=1)
    reason = forms.CharField(
        label="Note", required=False, max_length=255, help_text="Delivery note or supplier."
    )

    def __init__(self, *args, merchant: Merchant, **kwargs) -> None:
        super().__init__(*args, prefix="receive", **kwargs)
        self.fields["point"] = _points_field(merchant, "Storage point")


class AdjustStockForm(forms.Form):
    point = forms.ModelChoiceField(label="Storage point", queryset=StoragePoint.objects.none())
    delta = forms.IntegerField(
        label="Change in units", help_text="Negative to remove units, e.g. -2 for two damaged."
    )
    reason = forms.CharField(label="Reason", max_length=255)

    def __init__(self, *args, merchant: Merchant, **kwargs) -> None:
        super().__init__(*args, prefix="adjust", **kwargs)
        self.fields["point"] = _points_field(merchant, "Storage point")


class ThresholdForm(forms.Form):
    point = forms.ModelChoiceField(label="Storage point", queryset=StoragePoint.objects.none())
    low_stock_threshold = forms.IntegerField(
        label="Low-stock threshold",
        min_value=0,
        help_text="Alert when available units fall to this or below; 0 turns the alert off.",
    )

    def __init__(self, *args, merchant: Merchant, **kwargs) -> None:
        super().__init__(*args, prefix="threshold", **kwargs)
        self.fields["point"] = _points_field(merchant, "Storage point")


class LedgerFilterForm(forms.Form):
    point = forms.ModelChoiceField(label="Storage point", required=False, queryset=None)
    product = ProductField(label="Product", required=False, queryset=Product.objects.none())
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "All kinds"), *StockMovement.Kind.choices]
    )

    def __init__(self, *args, merchant: Merchant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = StoragePoint.objects.for_merchant(merchant)
        self.fields["point"].empty_label = "All points"
        self.fields["product"].queryset = Product.objects.for_merchant(merchant)


class TransferFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "All"), *Transfer.Status.choices]
    )


class TransferForm(forms.Form):
    from_point = forms.ModelChoiceField(label="From", queryset=StoragePoint.objects.none())
    to_point = forms.ModelChoiceField(label="To", queryset=StoragePoint.objects.none())
    note = forms.CharField(label="Note", required=False, max_length=255)

    def __init__(self, *args, merchant: Merchant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_point"] = _points_field(merchant, "From")
        self.fields["to_point"] = _points_field(merchant, "To")


class TransferLineForm(forms.Form):
    product = ProductField(label="Product", queryset=Product.objects.none(), required=False)
    quantity = forms.IntegerField(label="Units", min_value=1, max_value=NUMBER_MAX, required=False)

    def __init__(self, *args, merchant: Merchant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.for_merchant(merchant).filter(
            is_active=True
        )

    def clean(self) -> dict:
        data = super().clean()
        product, quantity = data.get("product"), data.get("quantity")
        if product and not quantity and "quantity" not in self.errors:
            self.add_error("quantity", "Enter how many units to move.")
        if quantity and not product:
            self.add_error("product", "Choose the product to move.")
        return data


class BaseTransferLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[tuple[Product, int]]:
        return [
            (f.cleaned_data["product"], f.cleaned_data["quantity"])
            for f in self.forms
            if f.cleaned_data.get("product") and f.cleaned_data.get("quantity")
        ]


TransferLineFormSet = forms.formset_factory(
    TransferLineForm, formset=BaseTransferLineFormSet, extra=5, max_num=50, absolute_max=50
)


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="What the file holds",
        choices=list(inventory_csv.KINDS.items()),
        widget=forms.RadioSelect,
        initial=inventory_csv.PRODUCTS,
        help_text="Products: sku,name,weight_g,length_mm,width_mm,height_mm,value. "
        "Stock counts: sku,point,on_hand[,low_stock_threshold] (point is the storage point's "
        "name).",
    )
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 text, up to 5 MB and 50,000 rows.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded.size > inventory_csv.MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {uploaded.size / 1024 / 1024:.1f} MB; the limit is 5 MB."
            )
        return uploaded


class ImportConfirmForm(forms.Form):
    import_id = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)
