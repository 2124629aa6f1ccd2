"""Form fields for a weight or a length typed in any unit ("1.2 kg", "2 lb 6 oz", "12 in"):
they clean to grams or millimetres and show a stored value in the merchant's units."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from merchant import units


class _UnitField(forms.CharField):
    bare_unit = ""
    kind = ""

    def __init__(self, *, max_value: int, unit_system: str = units.METRIC, **kwargs: Any):
        self.max_value = max_value
        self.unit_system = unit_system
        kwargs.setdefault("max_length", units.MAX_INPUT)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")
        self.widget.attrs.setdefault("autocomplete", "off")

    def parse(self, text: str) -> int:
        raise NotImplementedError

    def show(self, value: int) -> str:
        raise NotImplementedError

    def prepare_value(self, value: Any) -> Any:
        # A stored number (initial data) reads in the merchant's units, exactly.
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return self.show(value)
        return value

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if text in (None, ""):
            return None
        try:
            parsed = self.parse(str(text))
        except units.UnitError as error:
            raise ValidationError(str(error), code="invalid") from None
        if parsed > self.max_value:
            raise ValidationError(f"That {self.kind} is too large.", code="max_value")
        return parsed


class WeightField(_UnitField):
    """A number alone is grams (what CSV files and the API take)."""

    kind = "weight"

    def parse(self, text: str) -> int:
        return units.parse_weight(text, default_unit="g")

    def show(self, value: int) -> str:
        return units.format_weight(value, self.unit_system, precise=True)


class LengthField(_UnitField):
    """A number alone is millimetres (what CSV files and the API take)."""

    kind = "length"

    def parse(self, text: str) -> int:
        return units.parse_length(text, default_unit="mm")

    def show(self, value: int) -> str:
        return units.format_length(value, self.unit_system, precise=True)
