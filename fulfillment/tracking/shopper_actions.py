"""What a shopper may do from the tracking page (#20 item 4): send the parcel to a locker or
shop, or pick another day, within the merchant's rules (ExceptionRules). Both go through the
same services staff use; this module only adds the rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from fulfillment.models import Shipment
from fulfillment.models.redirects import (
    DeliveryReschedule,
    ExceptionRules,
    ParcelRedirect,
    RequestedBy,
)
from fulfillment.tracking import hooks, reschedule
from merchant.models import Merchant

RULE_FIELDS = (
    "shopper_redirect",
    "shopper_reschedule",
    "before_out_for_delivery",
    "after_failed_attempt",
    "max_reschedule_days",
)
BEFORE_OUT = ("pending", "info_received", "in_transit")


def get_rules(merchant: Merchant) -> ExceptionRules:
    rules, _ = ExceptionRules.objects.get_or_create(merchant=merchant)
    return rules


def update_rules(*, merchant: Merchant, **values: Any) -> ExceptionRules:
    rules = get_rules(merchant)
    for name in RULE_FIELDS:
        if name in values:
            setattr(rules, name, values[name])
    rules.full_clean(exclude=["merchant"])
    rules.save()
    return rules


def why_shopper_cannot(shipment: Shipment, rules: ExceptionRules, action: str) -> str:
    """Why the shopper may not `action` ("redirect", "reschedule") now; "" when they may."""
    if action == "redirect" and not rules.shopper_redirect:
        return f"{shipment.merchant.name} does not let parcels be sent elsewhere online."
    if action == "reschedule" and not rules.shopper_reschedule:
        return f"{shipment.merchant.name} does not let delivery days be changed online."
    status = shipment.status
    if status in BEFORE_OUT and rules.before_out_for_delivery:
        return ""
    if status == "failed_attempt" and rules.after_failed_attempt:
        return ""
    return "This can no longer be changed online now; contact the shop."


def offer(shipment: Shipment) -> dict:
    """What the tracking page offers: the places, the days, and the changes already made."""
    rules = get_rules(shipment.merchant)
    done = ParcelRedirect.objects.filter(shipment=shipment).first()
    moved = DeliveryReschedule.objects.filter(shipment=shipment).order_by("-created_at").first()
    places, days = [], []
    redirector = hooks.redirector()
    if done is None and redirector and not why_shopper_cannot(shipment, rules, "redirect"):
        places = redirector.options(shipment, limit=3)
    if (
        done is None
        and not why_shopper_cannot(shipment, rules, "reschedule")
        and not reschedule.why_not_reschedulable(shipment)
    ):
        first, last = reschedule.day_range(
            today=reschedule.local_today(shipment.merchant), max_days=rules.max_reschedule_days
        )
        days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    return {
        "redirect": done,
        "reschedule": moved,
        "places": places,
        "days": days,
        "hold_days": settings.NEARBOX_PICKUP_DAYS,
    }


def shopper_redirect(*, shipment: Shipment, place_ref: str) -> tuple[ParcelRedirect, bool]:
    problem = why_shopper_cannot(shipment, get_rules(shipment.merchant), "redirect")
    existing = ParcelRedirect.objects.filter(shipment=shipment, to_pickup_ref=place_ref).first()
    if existing is not None:
        return existing, False  # a double submit answers with the first
    if problem:
        raise ValidationError({"place": ValidationError(problem, code="not_allowed")})
    redirector = hooks.redirector()
    if redirector is None:
        raise ValidationError(
            {"place": ValidationError("No pickup places are set up.", code="not_allowed")}
        )
    allowed = {p.ref for p in redirector.options(shipment, limit=3)}
    if place_ref not in allowed:
        raise ValidationError(
            {"place": ValidationError("Choose one of the places offered.", code="bad_place")}
        )
    return redirector.redirect(
        shipment=shipment, place_ref=place_ref, requested_by=RequestedBy.SHOPPER
    )


def shopper_reschedule(
    *, shipment: Shipment, day: dt.date, today: dt.date | None = None
) -> tuple[DeliveryReschedule, bool]:
    rules = get_rules(shipment.merchant)
    problem = why_shopper_cannot(shipment, rules, "reschedule")
    if problem:
        raise ValidationError({"day": ValidationError(problem, code="not_allowed")})
    return reschedule.reschedule(
        shipment=shipment,
        day=day,
        requested_by=RequestedBy.SHOPPER,
        max_days=rules.max_reschedule_days,
        today=today,
    )
