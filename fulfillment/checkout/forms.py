"""Forms of the checkout-rules and courier-rules pages. They read what a person types (money in
the shop's currency with cents, lists separated by commas); the rules themselves are checked by
fulfillment/checkout/services/rules.py, whose errors land on these fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from fulfillment.models import CheckoutRule, CourierAccount, CourierRule, CourierService
from merchant.models import Merchant, StoragePoint

MONEY_LIMIT = Decimal("1000000")
# Service field names -> this page's field names (amounts are typed in major units here).
FIELD_OF = {"amount_minor": "amount", "min_order_minor": "min_order", "service": "service"}


def _money(label: str, currency: str, *, negative: bool = False, help_text: str = "") -> Any:
    return forms.DecimalField(
        label=f"{label} ({currency})",
        required=False,
        max_digits=10,
        decimal_places=2,
        min_value=-MONEY_LIMIT if negative else 0,
        max_value=MONEY_LIMIT,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


def _minor(amount: Decimal | None) -> int | None:
    return None if amount is None else int((amount * 100).to_integral_value())


def _major(minor: int | None) -> Decimal | None:
    return None if minor is None else (Decimal(minor) / 100).quantize(Decimal("0.01"))


class CheckoutRuleForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="e.g. Free shipping over $50")
    action = forms.ChoiceField(choices=CheckoutRule.Action.choices)
    amount = forms.DecimalField(required=False)  # replaced in __init__ (currency in the label)
    percent = forms.DecimalField(
        label="Percent",
        required=False,
        max_digits=6,
        decimal_places=2,
        min_value=-100,
        max_value=1000,
        help_text="For a markup in %: 15 adds 15%, -10 takes 10% off.",
    )
    rounding = forms.ChoiceField(
        choices=CheckoutRule.Rounding.choices, required=False, help_text="For a rounding rule."
    )
    kinds = forms.MultipleChoiceField(
        label="Applies to",
        required=False,
        choices=[("home", "Home delivery"), ("locker", "Lockers"), ("shop", "Pickup shops")],
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every option.",
    )
    service_level = forms.ChoiceField(
        label="Service level", choices=CheckoutRule.Level.choices, required=False
    )
    service = forms.ModelChoiceField(
        queryset=CourierService.objects.none(), required=False, empty_label="Any service"
    )
    min_order = forms.DecimalField(required=False)  # replaced in __init__
    free_always = forms.BooleanField(
        label="Free for every cart (no minimum order value)", required=False
    )
    min_weight_g = forms.IntegerField(
        label="Parcel weighs at least (g)", required=False, min_value=0, max_value=10_000_000
    )
    max_weight_g = forms.IntegerField(
        label="Parcel weighs at most (g)", required=False, min_value=0, max_value=10_000_000
    )
    min_longest_mm = forms.IntegerField(
        label="Longest side at least (mm)", required=False, min_value=0, max_value=100_000
    )
    countries = forms.CharField(
        required=False, max_length=2000, help_text="Two-letter codes, e.g. US, CA. Empty: any."
    )
    zip_prefixes = forms.CharField(
        label="ZIP codes or prefixes",
        required=False,
        max_length=5000,
        help_text="e.g. 606, 60614. Empty: anywhere.",
    )
    tags = forms.CharField(
        label="Cart tags", required=False, max_length=2000, help_text="Any of these tags."
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)

    def __init__(self, *args: Any, merchant: Merchant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        currency = merchant.currency
        self.fields["amount"] = _money(
            "Amount",
            currency,
            negative=True,
            help_text="Flat price, or flat markup (negative for a discount).",
        )
        self.fields["min_order"] = _money(
            "Order value at least", currency, help_text="e.g. 50.00 for free shipping over $50."
        )
        self.fields["service"].queryset = (
            CourierService.objects.for_merchant(merchant)
            .select_related("account")
            .order_by("account__name", "name")
        )
        order = list(self.fields)
        order.remove("is_active")
        order.insert(1, "is_active")
        self.order_fields(order)

    @classmethod
    def initial_for(cls, rule: CheckoutRule) -> dict[str, Any]:
        return {
            "name": rule.name,
            "action": rule.action,
            "amount": _major(rule.amount_minor) if rule.amount_minor else None,
            "percent": rule.percent or None,
            "rounding": rule.rounding,
            "kinds": rule.kinds,
            "service_level": rule.service_level,
            "service": rule.service_id,
            "min_order": _major(rule.min_order_minor),
            "free_always": rule.action == "free" and rule.min_order_minor is None,
            "min_weight_g": rule.min_weight_g,
            "max_weight_g": rule.max_weight_g,
            "min_longest_mm": rule.min_longest_mm,
            "countries": ", ".join(rule.countries),
            "zip_prefixes": ", ".join(rule.zip_prefixes),
            "tags": ", ".join(rule.tags),
            "is_active": rule.is_active,
        }

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["amount_minor"] = _minor(data.pop("amount"))
        data["min_order_minor"] = _minor(data.pop("min_order"))
        return data


class CourierRuleForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="e.g. Bike courier downtown")
    is_active = forms.BooleanField(label="Active", required=False, initial=True)
    point = forms.ModelChoiceField(
        label="Ships from",
        queryset=StoragePoint.objects.none(),
        required=False,
        empty_label="Any storage point",
    )
    destinations = forms.CharField(
        label="To ZIP codes",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="ZIPs, prefixes (606*) or ranges (60601-60614), separated by commas. "
        "Empty: anywhere.",
    )
    rule = forms.ChoiceField(label="Choose", choices=CourierRule.Rule.choices)
    preferred_account = forms.ModelChoiceField(
        queryset=CourierAccount.objects.none(), required=False, empty_label="—"
    )
    preferred_service = forms.ModelChoiceField(
        queryset=CourierService.objects.none(), required=False, empty_label="—"
    )
    tolerance_pct = forms.IntegerField(
        label="Price tolerance (%)", min_value=0, max_value=500, initial=10
    )

    def __init__(self, *args: Any, merchant: Merchant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = StoragePoint.objects.for_merchant(merchant).order_by("name")
        self.fields["preferred_account"].queryset = CourierAccount.objects.for_merchant(merchant)
        self.fields["preferred_service"].queryset = (
            CourierService.objects.for_merchant(merchant)
            .select_related("account")
            .order_by("account__name", "name")
        )

    @classmethod
    def initial_for(cls, rule: CourierRule) -> dict[str, Any]:
        return {
            "name": rule.name,
            "is_active": rule.is_active,
            "point": rule.point_id,
            "destinations": ", ".join(rule.destinations),
            "rule": rule.rule,
            "preferred_account": rule.preferred_account_id,
            "preferred_service": rule.preferred_service_id,
            "tolerance_pct": rule.tolerance_pct,
        }


class PreviewForm(forms.Form):
    postal_code = forms.CharField(label="ZIP / postal code", max_length=12)
    country = forms.CharField(max_length=2, initial="US")
    value = forms.DecimalField(required=False)  # replaced in __init__
    weight_g = forms.IntegerField(label="Weight (g)", min_value=1, max_value=100_000, initial=500)
    length_mm = forms.IntegerField(label="Length (mm)", min_value=1, max_value=5000, initial=300)
    width_mm = forms.IntegerField(label="Width (mm)", min_value=1, max_value=5000, initial=200)
    height_mm = forms.IntegerField(label="Height (mm)", min_value=1, max_value=5000, initial=50)
    tags = forms.CharField(label="Cart tags", required=False, max_length=1000)

    def __init__(self, *args: Any, merchant: Merchant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["value"] = _money("Cart value", merchant.currency)

    def preview_cart(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "country": data["country"].upper(),
            "postal_code": data["postal_code"],
            "value_minor": _minor(data["value"]),
            "tags": tuple(t.strip() for t in data["tags"].split(",") if t.strip()),
            "weight_g": data["weight_g"],
            "length_mm": data["length_mm"],
            "width_mm": data["width_mm"],
            "height_mm": data["height_mm"],
        }
