"""A form field for one of the merchant's products, entered by SKU with suggestions."""

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from merchant.models import Product


class ProductSearchInput(forms.TextInput):
    """A SKU box that suggests the merchant's products as the user types (htmx fills a
    datalist from `product_options`). Without JavaScript it is a plain SKU field: a select of
    every product took seconds and megabytes at 50,000 products."""

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(
            {"autocomplete": "off", "placeholder": "Type a SKU or name", **(attrs or {})}
        )

    def get_context(self, name: str, value: object, attrs: dict | None) -> dict:
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        widget_attrs.update(
            {
                "list": f"{widget_attrs.get('id', name)}_options",
                "hx-get": reverse("product_options"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "next datalist",
                "hx-sync": "this:replace",
            }
        )
        return context

    def render(self, name: str, value: object, attrs: dict | None = None, renderer=None) -> str:
        box = super().render(name, value, attrs, renderer)
        list_id = f"{(attrs or {}).get('id', name)}_options"
        return format_html('{}<datalist id="{}"></datalist>', box, list_id)


class ProductField(forms.Field):
    """One of the merchant's products, entered by SKU."""

    widget = ProductSearchInput

    def __init__(self, *, queryset, **kwargs) -> None:
        super().__init__(**kwargs)
        self.queryset = queryset

    def prepare_value(self, value: object) -> object:
        if isinstance(value, Product):
            return value.sku
        return value

    def to_python(self, value: object) -> Product | None:
        sku = str(value or "").strip()
        if not sku:
            return None
        # A NUL byte cannot be in a SKU (nor in a PostgreSQL query): unknown, not an error.
        product = None if "\x00" in sku else self.queryset.filter(sku=sku).first()
        if product is None:
            raise ValidationError(
                "No product has the SKU “%(sku)s”: type part of a SKU or name and pick one.",
                code="unknown_sku",
                params={"sku": sku[:64].replace("\x00", "")},
            )
        return product
