"""Writing checkout rules and courier rules: validate, save, order (up/down or a full order),
delete. Pages and the API call these; each raises ValidationError naming the field at fault.

Lists arrive as a list of strings or as text separated by commas, spaces or new lines.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Model

from fulfillment.checkout.services.pricing import KINDS, normalized_zip
from fulfillment.models import CheckoutRule, CourierAccount, CourierRule, CourierService
from fulfillment.models.checkout import MAX_MINOR
from merchant.models import Merchant, StoragePoint

MAX_ENTRIES = 500
MAX_GRAMS = 10_000_000
MAX_MM = 100_000
ZIP_ENTRY = re.compile(r"^[A-Z0-9]{1,10}$")
RANGE_ENTRY = re.compile(r"^([A-Z0-9]{1,10})-([A-Z0-9]{1,10})$")
TAG = re.compile(r"^[\w .:/+-]{1,60}$")

CHECKOUT_FIELDS = (
    "name",
    "is_active",
    "action",
    "amount_minor",
    "percent",
    "rounding",
    "kinds",
    "service_level",
    "service",
    "min_order_minor",
    "min_weight_g",
    "max_weight_g",
    "min_longest_mm",
    "countries",
    "zip_prefixes",
    "tags",
)
COURIER_FIELDS = (
    "name",
    "is_active",
    "point",
    "destinations",
    "rule",
    "preferred_account",
    "preferred_service",
    "tolerance_pct",
)


# --- small validators ----------------------------------------------------------------------


def split_list(value: Any, field: str) -> list[str]:
    """A list of strings, or text with commas, spaces or new lines between the entries."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        items = [v for v in re.split(r"[\s,;]+", value) if v]
    elif isinstance(value, list | tuple):
        if not all(isinstance(v, str) for v in value):
            raise ValidationError({field: "Give a list of text entries."})
        items = [v.strip() for v in value if v.strip()]
    else:
        raise ValidationError({field: "Give a list of text entries."})
    if len(items) > MAX_ENTRIES:
        raise ValidationError({field: f"At most {MAX_ENTRIES} entries."})
    return items


def _whole(value: Any, field: str, *, low: int, high: int, optional: bool = True) -> int | None:
    if value is None or value == "":
        if optional:
            return None
        raise ValidationError({field: "This field is required."})
    if isinstance(value, bool):
        raise ValidationError({field: "Give a whole number."})
    if isinstance(value, float) and (not math.isfinite(value) or value != int(value)):
        raise ValidationError({field: "Give a whole number."})
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError({field: "Give a whole number."}) from None
    if not low <= number <= high:
        raise ValidationError({field: f"Give a number from {low} to {high}."})
    return number


def _percent(value: Any) -> Decimal:
    try:
        number = Decimal(str(value if value not in (None, "") else 0))
    except (InvalidOperation, ValueError):
        raise ValidationError({"percent": "Give a percentage, e.g. 12.5."}) from None
    if not number.is_finite() or not Decimal(-100) <= number <= Decimal(1000):
        raise ValidationError({"percent": "Give a percentage from -100 to 1000."})
    return number.quantize(Decimal("0.01"))


def _name(value: Any) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name:
        raise ValidationError({"name": "Give the rule a name the team will recognise."})
    if len(name) > 120 or any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in name):
        raise ValidationError({"name": "At most 120 characters, without control characters."})
    return name


def _owned(model: type[Model], merchant: Merchant, value: Any, field: str) -> Any:
    """A row of the merchant by id (or the row itself), None for empty; another merchant's id
    reads as unknown."""
    if value is None or value == "":
        return None
    pk = value.pk if isinstance(value, Model) else value
    pk = _whole(pk, field, low=1, high=2**62)
    found = model.objects.for_merchant(merchant).filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: "Choose one of your own."})
    return found


def _choice(value: Any, choices: Any, field: str, default: str) -> str:
    value = default if value in (None, "") else value
    if value not in choices.values:
        raise ValidationError({field: f"Choose one of: {', '.join(choices.values)}."})
    return value


# --- checkout rules ------------------------------------------------------------------------


def _clean_checkout(merchant: Merchant, data: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {"name": _name(data.get("name"))}
    clean["is_active"] = bool(data.get("is_active", True))
    action = _choice(data.get("action"), CheckoutRule.Action, "action", "")
    clean["action"] = action
    amount = _whole(data.get("amount_minor"), "amount_minor", low=-MAX_MINOR, high=MAX_MINOR)
    if action in ("set_price", "markup_flat") and amount is None:
        raise ValidationError({"amount_minor": "Give the amount."})
    if action == "set_price" and amount < 0:
        raise ValidationError({"amount_minor": "A price cannot be negative."})
    clean["amount_minor"] = amount or 0
    clean["percent"] = _percent(data.get("percent"))
    if action == "markup_pct" and clean["percent"] == 0:
        raise ValidationError({"percent": "Give the markup in percent (negative for a discount)."})
    clean["rounding"] = _choice(data.get("rounding"), CheckoutRule.Rounding, "rounding", "none")
    if action == "round" and clean["rounding"] == "none":
        raise ValidationError({"rounding": "Choose how to round."})
    kinds = split_list(data.get("kinds"), "kinds")
    if any(kind not in KINDS for kind in kinds):
        raise ValidationError({"kinds": f"Choose among: {', '.join(KINDS)}."})
    clean["kinds"] = sorted(set(kinds))
    clean["service_level"] = _choice(
        data.get("service_level"), CheckoutRule.Level, "service_level", ""
    )
    clean["service"] = _owned(CourierService, merchant, data.get("service"), "service")
    clean["min_order_minor"] = _whole(
        data.get("min_order_minor"), "min_order_minor", low=0, high=MAX_MINOR
    )
    if action == "free" and clean["min_order_minor"] is None and not data.get("free_always"):
        # "Free shipping over an order value" is the rule shops mean; free for every cart is
        # allowed but must be said (a missing threshold is a common slip).
        raise ValidationError({"min_order_minor": "Give the order value free shipping starts at."})
    for name in ("min_weight_g", "max_weight_g"):
        clean[name] = _whole(data.get(name), name, low=0, high=MAX_GRAMS)
    if (
        clean["min_weight_g"] is not None
        and clean["max_weight_g"] is not None
        and clean["min_weight_g"] > clean["max_weight_g"]
    ):
        raise ValidationError({"max_weight_g": "The maximum weight is below the minimum."})
    clean["min_longest_mm"] = _whole(
        data.get("min_longest_mm"), "min_longest_mm", low=0, high=MAX_MM
    )
    countries = [c.upper() for c in split_list(data.get("countries"), "countries")]
    if any(not re.fullmatch(r"[A-Z]{2}", c) for c in countries):
        raise ValidationError({"countries": "Give two-letter country codes, e.g. US, CA."})
    clean["countries"] = sorted(set(countries))
    raw_prefixes = split_list(data.get("zip_prefixes"), "zip_prefixes")
    prefixes = [normalized_zip(z) for z in raw_prefixes]
    typed = (re.fullmatch(r"[A-Za-z0-9 -]{1,12}", z) for z in raw_prefixes)
    if not all(typed) or any(not ZIP_ENTRY.match(z) for z in prefixes):
        raise ValidationError({"zip_prefixes": "Give ZIP codes or their first digits, e.g. 606."})
    clean["zip_prefixes"] = sorted(set(prefixes))
    tags = split_list(data.get("tags"), "tags")
    if any(not TAG.match(t) for t in tags):
        raise ValidationError({"tags": "Tags are up to 60 letters, digits, spaces or .:/+-_."})
    clean["tags"] = sorted(set(tags))
    return clean


def save_checkout_rule(
    *, merchant: Merchant, rule: CheckoutRule | None = None, data: dict[str, Any]
) -> CheckoutRule:
    """Create (rule None, placed last) or update a checkout rule from `data`."""
    return _save(CheckoutRule, merchant, rule, _clean_checkout(merchant, data))


# --- courier rules -------------------------------------------------------------------------


def parse_destinations(value: Any) -> list[str]:
    """ZIP codes, prefixes ("606*") and ranges ("60601-60614"), normalised."""
    entries = []
    for raw in split_list(value, "destinations"):
        entry = raw.upper().replace(" ", "")
        if entry.endswith("*") and ZIP_ENTRY.match(entry[:-1]):
            entries.append(entry)
            continue
        found = RANGE_ENTRY.match(entry)
        if found:
            low, high = found.groups()
            if len(low) != len(high) or low > high:
                raise ValidationError(
                    {"destinations": f"{raw}: a range needs two ZIPs of one length, low first."}
                )
            entries.append(entry)
            continue
        if not ZIP_ENTRY.match(entry):
            raise ValidationError(
                {"destinations": f"{raw[:40]}: give a ZIP, a prefix like 606* or a range."}
            )
        entries.append(entry)
    return sorted(set(entries))


def _clean_courier(merchant: Merchant, data: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {"name": _name(data.get("name"))}
    clean["is_active"] = bool(data.get("is_active", True))
    clean["point"] = _owned(StoragePoint, merchant, data.get("point"), "point")
    clean["destinations"] = parse_destinations(data.get("destinations"))
    clean["rule"] = _choice(data.get("rule"), CourierRule.Rule, "rule", "cheapest")
    clean["preferred_account"] = _owned(
        CourierAccount, merchant, data.get("preferred_account"), "preferred_account"
    )
    clean["preferred_service"] = _owned(
        CourierService, merchant, data.get("preferred_service"), "preferred_service"
    )
    clean["tolerance_pct"] = _whole(
        data.get("tolerance_pct", 10), "tolerance_pct", low=0, high=500, optional=False
    )
    if clean["rule"] == "preferred" and clean["preferred_account"] is None:
        raise ValidationError({"preferred_account": "Choose the preferred courier account."})
    if clean["rule"] == "service" and clean["preferred_service"] is None:
        raise ValidationError({"preferred_service": "Choose the service this rule books."})
    return clean


def save_courier_rule(
    *, merchant: Merchant, rule: CourierRule | None = None, data: dict[str, Any]
) -> CourierRule:
    """Create (rule None, placed last) or update a courier rule from `data`."""
    return _save(CourierRule, merchant, rule, _clean_courier(merchant, data))


# --- order and delete (both kinds) -----------------------------------------------------------


def _save(model: type[Model], merchant: Merchant, rule: Any, clean: dict[str, Any]) -> Any:
    """Either kind of rule with its cleaned fields: a new one (rule None) goes last."""
    with transaction.atomic():
        if rule is None:
            rule = model(merchant=merchant, position=_next_position(model, merchant))
        for name, value in clean.items():
            setattr(rule, name, value)
        rule.save()
    return rule


def _next_position(model: type[Model], merchant: Merchant) -> int:
    top = model.objects.for_merchant(merchant).aggregate(top=Max("position"))["top"]
    return 0 if top is None else top + 1


def reorder(*, merchant: Merchant, model: type[Model], ids: list[int]) -> None:
    """Put the merchant's rules in the order of `ids` (every rule, each once)."""
    with transaction.atomic():
        rows = list(model.objects.for_merchant(merchant).select_for_update().order_by("pk"))
        known = {row.pk: row for row in rows}
        if sorted(ids) != sorted(known):
            raise ValidationError({"ids": "List every one of your rules once."})
        for position, pk in enumerate(ids):
            known[pk].position = position
        model.objects.bulk_update(rows, ["position"])
        _bump(model, merchant)


def move(*, merchant: Merchant, rule: Any, by: int) -> None:
    """One place up (by=-1) or down (by=1); at the top or bottom nothing moves. The order is
    read under the rows' lock: a rule removed (or added) by another request meanwhile moves
    nothing (or takes its place) rather than failing."""
    model = type(rule)
    with transaction.atomic():
        ids = list(
            model.objects.for_merchant(merchant)
            .select_for_update()
            .order_by("position", "pk")
            .values_list("pk", flat=True)
        )
        if rule.pk not in ids:
            return
        at = ids.index(rule.pk)
        to = max(0, min(len(ids) - 1, at + by))
        ids.insert(to, ids.pop(at))
        reorder(merchant=merchant, model=model, ids=ids)


def delete_rule(*, rule: Any) -> None:
    rule.delete()


def _bump(model: type[Model], merchant: Merchant) -> None:
    # bulk_update sends no post_save: tell the checkout caches as a save would.
    from fulfillment.checkout import signals

    signals.rules_changed.send(sender=model, merchant_id=merchant.pk)
