"""The merchant's message templates: saved only when every {{ name }} is one we fill in, and
tried out with a made-up order (the editor's preview and its "send a test to me")."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fulfillment.messaging.copy import LANGUAGES
from fulfillment.messaging.services import composing, rendering, sending
from fulfillment.models import NotificationTemplate, SentMessage
from fulfillment.models.messaging import Channel, MessageEvent
from merchant.models import Merchant
from merchant.zones import merchant_zone

SUBJECT_MAX = 200
BODY_MAX = 5000
SMS_MAX = 640  # four SMS segments: a longer text costs the shop more than it says


def is_known(*, event: str, channel: str, language: str) -> bool:
    return (
        event in MessageEvent.values and channel in Channel.values and language in dict(LANGUAGES)
    )


def _check_text(field: str, text: str, limit: int) -> list[str]:
    problems = []
    if "\x00" in text:
        problems.append("Remove the NUL character.")
    if len(text) > limit:
        problems.append(f"Keep it to {limit} characters (it has {len(text)}).")
    unknown = rendering.unknown_placeholders(text)
    if unknown:
        names = ", ".join("{{ " + name + " }}" for name in sorted(set(unknown))[:3])
        problems.append(f"Unknown placeholder {names}: use one of the names listed.")
    return problems


def validate(*, channel: str, subject: str, body: str) -> None:
    errors: dict[str, list[str]] = {}
    if channel == Channel.EMAIL and not subject.strip():
        errors["subject"] = ["An email needs a subject."]
    if not body.strip():
        errors["body"] = ["Write the message, or reset it to the default text."]
    for field, text, limit in (
        ("subject", subject, SUBJECT_MAX),
        ("body", body, SMS_MAX if channel == Channel.SMS else BODY_MAX),
    ):
        problems = _check_text(field, text, limit)
        if problems:
            errors.setdefault(field, []).extend(problems)
    if errors:
        raise ValidationError(errors)


def save_template(
    *, merchant: Merchant, event: str, channel: str, language: str, subject: str, body: str
) -> NotificationTemplate:
    if not is_known(event=event, channel=channel, language=language):
        raise ValidationError("No such message.")
    subject = rendering.one_line(subject) if channel == Channel.EMAIL else ""
    body = body.replace("\r\n", "\n")
    validate(channel=channel, subject=subject, body=body)
    with transaction.atomic():
        template, _ = NotificationTemplate.objects.update_or_create(
            merchant=merchant, event=event, channel=channel, language=language,
            defaults={"subject": subject, "body": body},
        )  # fmt: skip
    return template


def reset_template(*, merchant: Merchant, event: str, channel: str, language: str) -> None:
    """Back to our default text (in that language)."""
    NotificationTemplate.objects.for_merchant(merchant).filter(
        event=event, channel=channel, language=language
    ).delete()


def sample_context(merchant: Merchant, event: str) -> dict[str, Any]:
    """A made-up order and parcel for previews and test messages."""
    tomorrow = timezone.localtime() + dt.timedelta(days=1)
    start = tomorrow.replace(hour=14, minute=0, second=0, microsecond=0)
    return {
        "kind": event,
        "merchant": merchant,
        "courier": "Speedy Couriers",
        "shopper_name": "Alex Sample",
        "order_reference": "#1001",
        "tracking_url": settings.NEARBOX_BASE_URL + "/t/sample/",
        "tracking_number": "SAMPLE0000123",
        "eta_from": start,
        "eta_until": start + dt.timedelta(hours=2),
        "eta_confidence": 0.9,
        "pickup_code": "482913" if event == MessageEvent.AVAILABLE_FOR_PICKUP else "",
        "pickup_point": SimpleNamespace(name="Corner Shop", address="12 Main Street")
        if event in (MessageEvent.AVAILABLE_FOR_PICKUP, MessageEvent.REDIRECTED)
        else None,
        "opening_hours": "Mon–Sat 08:00–20:00" if event == MessageEvent.REDIRECTED else "",
        "hold_days": 7 if event == MessageEvent.REDIRECTED else "",
        "delivery_day": tomorrow.date() if event == MessageEvent.RESCHEDULED else None,
        "offer_redirect": event == MessageEvent.FAILED_ATTEMPT,
        "nearby_lead": "Sam is about 4 minutes away with your parcel",
        "courier_name": "Sam" if event == MessageEvent.NEARBY else "",
        "vehicle": "bike" if event == MessageEvent.NEARBY else "",
    }


def preview(
    *, merchant: Merchant, event: str, channel: str, language: str, subject: str, body: str
) -> dict[str, str]:
    """What the shopper would read with these words: {subject, html} or {text}."""
    context = sample_context(merchant, event)
    with merchant_zone(merchant):
        if channel == Channel.SMS:
            text = composing.compose_sms(
                merchant, event=event, language=language, context=context, body=body
            )
            return {"text": text}
        email = composing.compose_email(
            merchant, event=event, language=language, context=context, subject=subject,
            body=body, in_page=True,
        )  # fmt: skip
    return {"subject": email.subject, "html": email.body_html}


def send_test(
    *, merchant: Merchant, to: str, event: str, language: str, subject: str, body: str
) -> SentMessage:
    """The email with these words and the made-up order, to the signed-in person."""
    validate(channel=Channel.EMAIL, subject=subject, body=body)
    with merchant_zone(merchant):
        email = composing.compose_email(
            merchant, event=event, language=language,
            context=sample_context(merchant, event), subject=subject, body=body,
        )  # fmt: skip
    return sending.send_email(
        merchant=merchant, to=to, email=email, event=event, language=language, is_test=True
    )
