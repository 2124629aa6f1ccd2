"""A merchant's return rules: the window, the reasons a shopper picks from, approval, methods."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from fulfillment.models.returns import DEFAULT_REASONS, ReturnSettings
from merchant.models import Merchant

MAX_REASONS = 20
MAX_REASON_LENGTH = 100
MAX_WINDOW_DAYS = 365


def get_return_settings(merchant: Merchant) -> ReturnSettings:
    """The merchant's settings, made with the defaults on first read."""
    found = ReturnSettings.objects.filter(merchant=merchant).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return ReturnSettings.objects.create(merchant=merchant, reasons=list(DEFAULT_REASONS))
    except IntegrityError:  # made by a concurrent first read
        return ReturnSettings.objects.get(merchant=merchant)


def clean_reasons(reasons: list[str]) -> list[str]:
    """Trimmed, without blanks or repeats; refuses too many or too long ones."""
    cleaned: list[str] = []
    for reason in reasons:
        text = " ".join(str(reason).split())
        if not text or text in cleaned:
            continue
        if len(text) > MAX_REASON_LENGTH:
            raise ValidationError(
                {"reasons": f"A reason is at most {MAX_REASON_LENGTH} characters: “{text[:40]}…”."}
            )
        cleaned.append(text)
    if not cleaned:
        raise ValidationError({"reasons": "Give at least one reason a shopper can choose."})
    if len(cleaned) > MAX_REASONS:
        raise ValidationError({"reasons": f"At most {MAX_REASONS} reasons."})
    return cleaned


def update_return_settings(
    *,
    merchant: Merchant,
    window_days: int,
    reasons: list[str],
    auto_approve: bool,
    allow_label: bool,
    allow_dropoff: bool,
) -> ReturnSettings:
    if not 0 <= window_days <= MAX_WINDOW_DAYS:
        raise ValidationError({"window_days": f"Between 0 and {MAX_WINDOW_DAYS} days."})
    if not (allow_label or allow_dropoff):
        raise ValidationError({"allow_label": "Allow at least one way to send items back."})
    cleaned = clean_reasons(reasons)
    prefs = get_return_settings(merchant)
    with transaction.atomic():
        prefs = ReturnSettings.objects.select_for_update().get(pk=prefs.pk)
        prefs.window_days = window_days
        prefs.reasons = cleaned
        prefs.auto_approve = auto_approve
        prefs.allow_label = allow_label
        prefs.allow_dropoff = allow_dropoff
        prefs.save()
    return prefs
