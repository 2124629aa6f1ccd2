"""Reads for checkout rules and courier rules: ownership helpers, lists, and the rules as the
plain data the pure pricing and rate-shopping code take."""

from __future__ import annotations

from django.db.models import QuerySet

from fulfillment.checkout.services.pricing import Rule
from fulfillment.models import CheckoutRule, CourierRule
from merchant.models import Merchant, get_for_merchant_or_404


def get_checkout_rule_for_merchant(merchant: Merchant, rule_id: object) -> CheckoutRule:
    return get_for_merchant_or_404(CheckoutRule, merchant, rule_id)


def get_courier_rule_for_merchant(merchant: Merchant, rule_id: object) -> CourierRule:
    return get_for_merchant_or_404(CourierRule, merchant, rule_id)


def checkout_rules(merchant: Merchant) -> QuerySet[CheckoutRule]:
    return (
        CheckoutRule.objects.for_merchant(merchant)
        .select_related("service__account")
        .order_by("position", "pk")
    )


def courier_rules(merchant: Merchant) -> QuerySet[CourierRule]:
    return (
        CourierRule.objects.for_merchant(merchant)
        .select_related("point", "preferred_account", "preferred_service__account")
        .order_by("position", "pk")
    )


def as_rule(row: CheckoutRule) -> Rule:
    return Rule(
        name=row.name,
        action=row.action,
        amount_minor=row.amount_minor,
        percent=row.percent,
        rounding=row.rounding,
        kinds=frozenset(row.kinds),
        service_level=row.service_level,
        service_id=row.service_id,
        min_order_minor=row.min_order_minor,
        min_weight_g=row.min_weight_g,
        max_weight_g=row.max_weight_g,
        min_longest_mm=row.min_longest_mm,
        countries=frozenset(row.countries),
        zip_prefixes=tuple(row.zip_prefixes),
        tags=frozenset(row.tags),
    )


def active_rules(merchant_id: int) -> tuple[Rule, ...]:
    """The merchant's active checkout rules in order, as plain data (one query)."""
    rows = CheckoutRule.objects.filter(merchant_id=merchant_id, is_active=True).order_by(
        "position", "pk"
    )
    return tuple(as_rule(row) for row in rows)
