"""A box preset typed in the merchant's units, and the box and scale reading of one parcel."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from fulfillment.boxes.services.presets import products_by_sku
from fulfillment.models import BoxPreset, PointBox, ProductBox
from merchant import units
from merchant.limits import INT64_MAX
from merchant.models import Merchant, StoragePoint

MAX_SIDE_MM = 3000


def _length_field(label: str, system: str) -> forms.CharField:
    example = "12.5 in" if system == units.IMPERIAL else "30 cm"
    return forms.CharField(
        label=label,
        max_length=units.MAX_INPUT,
        help_text=f"Inside, e.g. {example}.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


def _weight_field(label: str, *, required: bool, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=units.MAX_INPUT,
        required=required,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class PointsField(forms.ModelMultipleChoiceField):
    """Storage points by id; an id no column can hold is an invalid choice (SQLite, make run's
    database, raised OverflowError on one in the IN list: a 500)."""

    def _check_values(self, value):
        for pk in value:
            text = str(pk)
            if not text.isascii() or not text.isdigit() or int(text) > INT64_MAX:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                    params={"pk": text[:20]},
                )  # fmt: skip
        return super()._check_values(value)


class BoxForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="What packers call it, e.g. “Small mailer”.")

    def __init__(self, *args: Any, merchant: Merchant, box: BoxPreset | None = None, **kwargs):
        self.merchant, self.box = merchant, box
        self.system = merchant.unit_system
        bound = bool(args and args[0] is not None) or kwargs.get("data") is not None
        if box is not None and not bound:
            kwargs["initial"] = self.initial_for(box)
        super().__init__(*args, **kwargs)
        system = self.system
        light = "8 oz" if system == units.IMPERIAL else "200 g"
        heavy = "50 lb" if system == units.IMPERIAL else "20 kg"
        self.fields["length"] = _length_field("Inside length", system)
        self.fields["width"] = _length_field("Inside width", system)
        self.fields["height"] = _length_field("Inside height", system)
        self.fields["empty_weight"] = _weight_field(
            "Empty weight", required=False, help_text=f"The box itself, e.g. {light}."
        )
        self.fields["max_weight"] = _weight_field(
            "Most it may weigh packed",
            required=False,
            help_text=f"Leave empty for no limit, e.g. {heavy}.",
        )
        self.fields["points"] = PointsField(
            queryset=StoragePoint.objects.for_merchant(merchant).order_by("name"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            label="First box at these storage points",
            help_text="Used for an order shipped from the point when the items fit.",
        )
        self.fields["skus"] = forms.CharField(
            label="First box for these products",
            required=False,
            max_length=20000,
            widget=forms.Textarea(attrs={"rows": 3, "placeholder": "SKU-1, SKU-2"}),
            help_text="SKUs, separated by commas or lines: an order of only these products "
            "ships in this box when they fit.",
        )

    def initial_for(self, box: BoxPreset) -> dict[str, Any]:
        system = self.system
        weight = box.empty_weight_g
        return {
            "name": box.name,
            "length": units.format_length(box.inner_length_mm, system, precise=True),
            "width": units.format_length(box.inner_width_mm, system, precise=True),
            "height": units.format_length(box.inner_height_mm, system, precise=True),
            "empty_weight": units.format_weight(weight, system, precise=True) if weight else "",
            "max_weight": units.format_weight(box.max_weight_g, system, precise=True),
            "points": [
                pb.point_id for pb in PointBox.objects.filter(merchant=self.merchant, box=box)
            ],
            "skus": ", ".join(
                ProductBox.objects.filter(merchant=self.merchant, box=box)
                .order_by("product__sku")
                .values_list("product__sku", flat=True)
            ),
        }

    def _length(self, name: str) -> int:
        try:
            mm = units.parse_length(
                self.cleaned_data[name], default_unit=units.default_length_unit(self.system)
            )
        except units.UnitError as error:
            raise ValidationError(str(error)) from None
        if mm > MAX_SIDE_MM:
            raise ValidationError("A box side is at most 3 m.")
        return mm

    def clean_length(self) -> int:
        return self._length("length")

    def clean_width(self) -> int:
        return self._length("width")

    def clean_height(self) -> int:
        return self._length("height")

    def _weight(self, name: str) -> int | None:
        text = self.cleaned_data[name].strip()
        if not text or (name == "empty_weight" and text.strip("0 .,") == ""):
            return None
        try:
            return units.parse_weight(text, default_unit=units.default_weight_unit(self.system))
        except units.UnitError as error:
            raise ValidationError(str(error)) from None

    def clean_empty_weight(self) -> int:
        return self._weight("empty_weight") or 0

    def clean_max_weight(self) -> int | None:
        return self._weight("max_weight")

    def clean_skus(self) -> list:
        try:
            return products_by_sku(self.merchant, self.cleaned_data["skus"])
        except ValidationError as error:
            raise ValidationError(error.message_dict["skus"]) from None


class PackingForm(forms.Form):
    """The box and scale reading of one parcel, on the order's ship form (both optional)."""

    box = forms.ModelChoiceField(
        queryset=BoxPreset.objects.none(),
        required=False,
        empty_label="Chosen by fit",
        error_messages={"invalid_choice": "Choose one of your active boxes."},
    )
    scale_reading = forms.CharField(
        required=False,
        max_length=units.MAX_INPUT,
        label="Scale reading",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, merchant: Merchant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.system = merchant.unit_system
        self.fields["box"].queryset = BoxPreset.objects.for_merchant(merchant).filter(
            is_active=True
        )
        example = "2 lb 6 oz" if self.system == units.IMPERIAL else "1.2 kg"
        self.fields[
            "scale_reading"
        ].help_text = f"Typed or pasted, e.g. {example}; it replaces the computed weight."

    def clean_scale_reading(self) -> int | None:
        text = self.cleaned_data["scale_reading"].strip()
        if not text:
            return None
        try:
            return units.parse_weight(text, default_unit=units.default_weight_unit(self.system))
        except units.UnitError as error:
            raise ValidationError(str(error)) from None

    def error_text(self) -> str:
        return " ".join(str(m) for errors in self.errors.values() for m in errors)
