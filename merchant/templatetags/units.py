"""{% load units %}: weights and sizes in the merchant's units (merchant/units.py).

`{% weight product.weight_g %}`, `{% length box.inner_length_mm %}` and
`{% size l w h %}` read the unit system from the context's `unit_system` (set by pages drawn
without a request: labels, packing slips) or else the signed-in merchant's; the filters
`{{ grams|weight_in:"imperial" }}` take it explicitly.
"""

from __future__ import annotations

from django import template

from merchant import units

register = template.Library()


def _system(context: template.Context) -> str:
    system = context.get("unit_system")
    if system:
        return str(system)
    merchant = context.get("current_merchant") or getattr(context.get("request"), "merchant", None)
    return getattr(merchant, "unit_system", "") or units.METRIC


def _int_or_none(value: object) -> int | None:
    try:
        return None if value in (None, "") else int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


@register.simple_tag(takes_context=True)
def weight(context: template.Context, grams: object) -> str:
    return units.format_weight(_int_or_none(grams), _system(context))


@register.simple_tag(takes_context=True)
def length(context: template.Context, mm: object) -> str:
    return units.format_length(_int_or_none(mm), _system(context))


@register.simple_tag(takes_context=True)
def size(context: template.Context, length_mm: object, width_mm: object, height_mm: object) -> str:
    return units.format_size(
        _int_or_none(length_mm), _int_or_none(width_mm), _int_or_none(height_mm), _system(context)
    )


@register.filter
def weight_in(grams: object, system: str) -> str:
    return units.format_weight(_int_or_none(grams), system)


@register.filter
def length_in(mm: object, system: str) -> str:
    return units.format_length(_int_or_none(mm), system)
