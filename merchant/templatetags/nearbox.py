"""Template filters for units the models store: money in minor units, shares as fractions."""

from django import template

register = template.Library()

SYMBOLS = {"USD": "$", "CAD": "CA$", "EUR": "€", "GBP": "£"}


@register.filter
def money(minor_units: int | float | None, currency: str = "USD") -> str:
    """1234, "USD" -> "$12.34"."""
    if minor_units is None or minor_units == "":
        return "—"
    amount = float(minor_units) / 100
    sign = "-" if amount < 0 else ""
    return f"{sign}{SYMBOLS.get(currency, currency + ' ')}{abs(amount):,.2f}"


@register.filter
def percent(fraction: float | None, digits: int = 0) -> str:
    if fraction is None or fraction == "":
        return "—"
    return f"{float(fraction) * 100:.{int(digits)}f}%"
