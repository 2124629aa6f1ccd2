"""Template filters for units the models store: money in minor units, shares as fractions."""

from django import template

from merchant.money import format_money, money_in

register = template.Library()


@register.filter
def money(minor_units: int | float | None, currency: str = "USD") -> str:
    """1234, "USD" -> "$12.34"; the one formatting every page and the code share."""
    return format_money(minor_units, currency)


@register.simple_tag(takes_context=True)
def money_in_merchant_currency(context, minor_units: int | None, currency: str) -> str:
    """{% money_in_merchant_currency order.value order.currency %}: an amount that may be in
    another currency than the merchant's, shown in the merchant's with the rate used, or the
    reason it cannot be (merchant.money.money_in)."""
    merchant = context.get("current_merchant")
    target = getattr(merchant, "currency", "") or currency
    return money_in(minor_units, currency=currency, merchant_currency=target)


@register.filter
def percent(fraction: float | None, digits: int = 0) -> str:
    if fraction is None or fraction == "":
        return "—"
    return f"{float(fraction) * 100:.{int(digits)}f}%"
