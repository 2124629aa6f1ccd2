"""Money: integer minor units plus an ISO currency code, shown in one way everywhere.

A merchant has one currency. An amount in another one (a courier quoting in EUR for a US-dollar
shop) is converted by a rate from NEARBOX_FX_RATES, and the converted figure carries that rate
and its source; with no rate configured it is refused with a reason, never shown under another
symbol. NEARBOX_FX_RATES is JSON: {"EUR:USD": {"rate": "1.0842", "source": "ECB, 4 Dec 2026"}}
(or {"EUR:USD": 1.0842}, then NEARBOX_FX_SOURCE names the source). The inverse pair is implied.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.conf import settings

SYMBOLS = {"USD": "$", "CAD": "CA$", "EUR": "€", "GBP": "£"}


def format_money(minor_units: int | float | None, currency: str) -> str:
    """Minor units as a price, e.g. 123450 USD → "$1,234.50" (all our currencies use cents)."""
    if minor_units is None or minor_units == "":
        return "—"
    amount = Decimal(str(minor_units)) / 100
    sign = "-" if amount < 0 else ""
    return f"{sign}{SYMBOLS.get(currency, f'{currency} ')}{abs(amount):,.2f}"


class NoExchangeRate(ValueError):
    """No configured rate between two currencies; the message says which, for a person."""

    def __init__(self, from_currency: str, to_currency: str, what: str = "amount") -> None:
        self.from_currency, self.to_currency = from_currency, to_currency
        super().__init__(
            f"{what} in {from_currency}, no rate to {to_currency} configured (NEARBOX_FX_RATES)"
        )


@dataclass(frozen=True)
class ExchangeRate:
    from_currency: str
    to_currency: str
    rate: Decimal  # one unit of from_currency is `rate` units of to_currency
    source: str


@dataclass(frozen=True)
class Converted:
    """An amount in the merchant's currency, and where it came from when it was converted."""

    minor: int
    currency: str
    original_minor: int
    original_currency: str
    rate: ExchangeRate | None = None

    @property
    def text(self) -> str:
        return format_money(self.minor, self.currency)

    @property
    def note(self) -> str:
        """ "" when nothing was converted, else e.g. "€12.00 at 1.0842 USD/EUR (ECB, 4 Dec)"."""
        if self.rate is None:
            return ""
        return (
            f"{format_money(self.original_minor, self.original_currency)} at "
            f"{self.rate.rate.normalize():f} {self.currency}/{self.original_currency} "
            f"({self.rate.source})"
        )


def _pair_rate(value: object, default_source: str) -> tuple[Decimal, str] | None:
    raw, source = value, default_source
    if isinstance(value, dict):
        raw, source = value.get("rate"), str(value.get("source") or default_source)
    try:
        rate = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    return (rate, source) if rate.is_finite() and rate > 0 else None


def exchange_rate(from_currency: str, to_currency: str) -> ExchangeRate | None:
    """The configured rate from one currency to another (or the inverse of the configured
    reverse pair), None when there is none."""
    table = getattr(settings, "NEARBOX_FX_RATES", {}) or {}
    default_source = getattr(settings, "NEARBOX_FX_SOURCE", "") or "NEARBOX_FX_RATES"
    direct = table.get(f"{from_currency}:{to_currency}")
    found = _pair_rate(direct, default_source) if direct is not None else None
    if found is not None:
        return ExchangeRate(from_currency, to_currency, found[0], found[1])
    reverse = table.get(f"{to_currency}:{from_currency}")
    found = _pair_rate(reverse, default_source) if reverse is not None else None
    if found is not None:
        rate = (Decimal(1) / found[0]).quantize(Decimal("0.000001"))
        return ExchangeRate(from_currency, to_currency, rate, f"inverse of {found[1]}")
    return None


def convert(minor: int, *, from_currency: str, to_currency: str, what: str = "amount") -> Converted:
    """`minor` units of from_currency in to_currency (rounded half-even to the cent);
    raises NoExchangeRate when no rate is configured."""
    if from_currency == to_currency:
        return Converted(minor, to_currency, minor, from_currency)
    rate = exchange_rate(from_currency, to_currency)
    if rate is None:
        raise NoExchangeRate(from_currency, to_currency, what)
    converted = int((Decimal(minor) * rate.rate).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    return Converted(converted, to_currency, minor, from_currency, rate)


def money_in(minor: int | None, *, currency: str, merchant_currency: str) -> str:
    """An amount for a person who works in `merchant_currency`: converted with its rate
    stated, or the reason it cannot be shown in that currency."""
    if minor is None:
        return "—"
    try:
        converted = convert(minor, from_currency=currency, to_currency=merchant_currency)
    except NoExchangeRate as refusal:
        return f"not shown: {refusal}"
    return f"{converted.text} ({converted.note})" if converted.note else converted.text
