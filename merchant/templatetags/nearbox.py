"""Template filters for units the models store: money in minor units, shares as fractions."""

from django import template

from merchant.money import format_money

register = template.Library()


@register.filter
def money(minor_units: int | float | None, currency: str = "USD") -> str:
    """1234, "USD" -> "$12.34"; the one formatting every page and the code share."""
    return format_money(minor_units, currency)


@register.filter
def percent(fraction: float | None, digits: int = 0) -> str:
    if fraction is None or fraction == "":
        return "—"
    return f"{float(fraction) * 100:.{int(digits)}f}%"
