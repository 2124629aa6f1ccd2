"""Weights and lengths as people read and type them: kilograms and centimetres, or pounds,
ounces and inches (Merchant.unit_system). Stored values stay grams and millimetres.

`parse_weight("1 lb 6 oz")` and `parse_length("12.5 in")` read what a person types or a scale
pastes; `format_weight(g, system)` and `format_length(mm, system)` write it back. The display
form rounds (0.1 oz, 0.1 in); `precise=True` (form fields) reads back to the same grams or mm.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

METRIC = "metric"
IMPERIAL = "imperial"

GRAMS_PER = {
    "g": Decimal(1),
    "kg": Decimal(1000),
    "lb": Decimal("453.59237"),
    "oz": Decimal("28.349523125"),
}
MM_PER = {"mm": Decimal(1), "cm": Decimal(10), "m": Decimal(1000), "in": Decimal("25.4")}
# Ordered longest first so that "lbs" is not read as "lb" + "s".
_WEIGHT_WORDS = {
    "grams": "g",
    "gram": "g",
    "gr": "g",
    "g": "g",
    "kilograms": "kg",
    "kilogram": "kg",
    "kilos": "kg",
    "kilo": "kg",
    "kgs": "kg",
    "kg": "kg",
    "pounds": "lb",
    "pound": "lb",
    "lbs": "lb",
    "lb": "lb",
    "#": "lb",
    "ounces": "oz",
    "ounce": "oz",
    "oz": "oz",
}
_LENGTH_WORDS = {
    "millimetres": "mm",
    "millimeters": "mm",
    "mm": "mm",
    "centimetres": "cm",
    "centimeters": "cm",
    "cm": "cm",
    "metres": "m",
    "meters": "m",
    "m": "m",
    "inches": "in",
    "inch": "in",
    "in": "in",
    '"': "in",
}
MAX_WEIGHT_G = 1_000_000  # 1 t: no parcel, and far inside every column
MAX_LENGTH_MM = 100_000
MAX_INPUT = 60
_PART = re.compile(r"\s*(\d+(?:[.,]\d+)?|[.,]\d+)\s*([a-z#\"]*)\s*", re.IGNORECASE)


class UnitError(ValueError):
    """What a person typed is not a weight or a length; the message says what is expected."""


def default_weight_unit(system: str) -> str:
    return "lb" if system == IMPERIAL else "kg"


def default_length_unit(system: str) -> str:
    return "in" if system == IMPERIAL else "cm"


def _parts(
    text: object, words: dict[str, str], what: str, example: str
) -> list[tuple[Decimal, str]]:
    if not isinstance(text, str):
        raise UnitError(f"Type a {what}, for example {example}.")
    cleaned = text.strip().lower().replace("\u00a0", " ")
    if not cleaned:
        raise UnitError(f"Type a {what}, for example {example}.")
    if len(cleaned) > MAX_INPUT:
        raise UnitError(f"That is too long for a {what}; type it like {example}.")
    parts: list[tuple[Decimal, str]] = []
    position = 0
    while position < len(cleaned):
        match = _PART.match(cleaned, position)
        if match is None or match.end() == position:
            raise UnitError(
                f"“{text.strip()[:MAX_INPUT]}” is not a {what}; type it like {example}."
            )
        number, word = match.group(1), match.group(2)
        unit = words.get(word) if word else ""
        if unit is None:
            raise UnitError(f"“{word}” is not a unit of {what}; type it like {example}.")
        try:
            parts.append((Decimal(number.replace(",", ".")), unit))
        except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
            raise UnitError(f"“{number}” is not a number.") from None
        position = match.end()
    return parts


def _total(parts: list[tuple[Decimal, str]], per: dict[str, Decimal], default: str) -> Decimal:
    if len(parts) > 1 and any(unit == "" for _, unit in parts):
        raise UnitError("Give each number its unit, for example 1 lb 6 oz.")
    resolved = [(value, unit or default) for value, unit in parts]
    if len({unit for _, unit in resolved}) != len(resolved):
        raise UnitError("Each unit once, for example 1 lb 6 oz.")
    return sum((value * per[unit] for value, unit in resolved), Decimal(0))


def parse_weight(text: object, *, default_unit: str = "kg") -> int:
    """Grams from "2.4 lb", "1 lb 6 oz", "1.2 kg", "850 g", "2,5 kg" or a bare number in
    `default_unit`; UnitError for anything else, nothing, zero, or more than a tonne."""
    parts = _parts(text, _WEIGHT_WORDS, "weight", "1.2 kg, 850 g or 1 lb 6 oz")
    grams = _total(parts, GRAMS_PER, default_unit)
    if grams <= 0:
        raise UnitError("A weight must be more than zero.")
    whole = max(1, int(grams.to_integral_value()))
    if whole > MAX_WEIGHT_G:
        raise UnitError("That is over a tonne: check the reading.")
    return whole


def parse_length(text: object, *, default_unit: str = "cm") -> int:
    """Millimetres from "30 cm", "12.5 in", "300 mm", "12\"" or a bare number in
    `default_unit`; UnitError for anything else, nothing, zero, or more than 100 m."""
    parts = _parts(text, _LENGTH_WORDS, "length", "30 cm or 12.5 in")
    mm = _total(parts, MM_PER, default_unit)
    if mm <= 0:
        raise UnitError("A length must be more than zero.")
    whole = max(1, int(mm.to_integral_value()))
    if whole > MAX_LENGTH_MM:
        raise UnitError("That is over 100 m: check the size.")
    return whole


def _number(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_weight(grams: int | None, system: str, *, precise: bool = False) -> str:
    """ "850 g" / "1.25 kg", or "6.4 oz" / "2 lb 6.4 oz"; "" for no weight."""
    if grams is None:
        return ""
    grams = int(grams)
    if system != IMPERIAL:
        if grams < 1000:
            return f"{grams} g"
        return f"{_number(grams / 1000, 3)} kg"
    ounces = Decimal(grams) / GRAMS_PER["oz"]
    # Under an ounce the second decimal keeps a letter's weight from reading as "0 oz".
    decimals = 2 if precise or ounces < 1 else 1
    ounces = round(ounces, decimals)
    pounds = int(ounces // 16)
    rest = ounces - pounds * 16
    rest_text = _number(float(rest), decimals)
    if pounds == 0:
        return f"{rest_text} oz"
    if rest == 0:
        return f"{pounds} lb"
    return f"{pounds} lb {rest_text} oz"


def format_length(mm: int | None, system: str, *, precise: bool = False) -> str:
    """ "12.5 cm" (exact to the mm) or "4.7 in" (4.72 in when precise); "" for no length."""
    if mm is None:
        return ""
    if system != IMPERIAL:
        return f"{_number(int(mm) / 10, 1)} cm"
    return f"{_number(int(mm) / 25.4, 2 if precise else 1)} in"


def format_size(
    length_mm: int | None, width_mm: int | None, height_mm: int | None, system: str
) -> str:
    """ "30 × 20 × 10 cm"; "" when a side is missing."""
    if None in (length_mm, width_mm, height_mm):
        return ""
    unit = default_length_unit(system)
    sides = [
        format_length(side, system).removesuffix(f" {unit}")
        for side in (length_mm, width_mm, height_mm)
    ]
    return f"{' × '.join(sides)} {unit}"


def weight_step_g(system: str) -> float:
    """Half the display resolution of format_weight: how far a displayed weight may be off."""
    return float(GRAMS_PER["oz"]) * 0.05 if system == IMPERIAL else 0.5
