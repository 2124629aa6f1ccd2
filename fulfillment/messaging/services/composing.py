"""A message's words: the merchant's template for the event, channel and language, else our
default text in that language; filled in with the message's values (rendering.fill) and laid
out in the shop's brand (templates/fulfillment/messaging/email.html, .txt)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.dateformat import format as date_format

from fulfillment.messaging.copy import DEFAULTS, ENGLISH_NEARBY, ENGLISH_NEARBY_SMS, LAYOUT
from fulfillment.messaging.services import brand, rendering
from fulfillment.models import NotificationTemplate
from merchant.models import Merchant


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str
    body_html: str  # the card alone (the editor's preview)


def saved_template(
    merchant: Merchant, *, event: str, channel: str, language: str
) -> NotificationTemplate | None:
    return (
        NotificationTemplate.objects.for_merchant(merchant)
        .filter(event=event, channel=channel, language=language)
        .first()
    )


def default_text(*, event: str, channel: str, language: str) -> tuple[str, str]:
    """Our (subject, body) of an event in a language; SMS has no subject."""
    subject, _headline, body, sms = DEFAULTS[event]
    with translation.override(language):
        english_nearby = event == "nearby" and language == "en"
        if channel == "sms":
            return "", ENGLISH_NEARBY_SMS if english_nearby else str(sms)
        if english_nearby:
            return ENGLISH_NEARBY
        return str(subject), str(body)


def words(merchant: Merchant, *, event: str, channel: str, language: str) -> tuple[str, str]:
    template = saved_template(merchant, event=event, channel=channel, language=language)
    if template is not None:
        return template.subject, template.body
    return default_text(event=event, channel=channel, language=language)


def eta_text(context: dict[str, Any]) -> str:
    start, end = context.get("eta_from"), context.get("eta_until")
    if not start or not end:
        return ""
    return f"{date_format(start, 'l j F, H:i')} – {date_format(end, 'H:i T')}"


def placeholder_values(context: dict[str, Any]) -> dict[str, str]:
    point = context.get("pickup_point")
    merchant = context["merchant"]
    return {
        "shop_name": merchant.name,
        "shopper_name": context.get("shopper_name", ""),
        "order_reference": context.get("order_reference", ""),
        "tracking_number": context.get("tracking_number", ""),
        "tracking_url": context.get("tracking_url", ""),
        "courier": context.get("courier", ""),
        "eta": eta_text(context),
        "pickup_code": context.get("pickup_code", ""),
        "pickup_point": f"{point.name}, {point.address}" if point else "",
        "nearby_lead": context.get("nearby_lead", ""),
        "opening_hours": context.get("opening_hours", ""),
        "hold_days": str(context.get("hold_days", "")),
        "delivery_day": date_format(day, "l j F") if (day := context.get("delivery_day")) else "",
        "website_url": merchant.website_url,
        "support_email": merchant.support_email,
    }


def compose_email(
    merchant: Merchant,
    *,
    event: str,
    language: str,
    context: dict[str, Any],
    subject: str | None = None,
    body: str | None = None,
    in_page: bool = False,
) -> Email:
    """The email of an event; `subject` and `body` given: those words (the editor's preview)
    instead of the saved ones. `in_page`: the card goes inside a dashboard page, whose own h1
    stays the only one."""
    with translation.override(language):
        if subject is None or body is None:
            subject, body = words(merchant, event=event, channel="email", language=language)
        values = placeholder_values(context)
        filled_subject = rendering.one_line(rendering.fill(subject, values))
        filled_body = rendering.fill(body, values)
        layout = {
            **context,
            **brand.brand_context(merchant),
            "language": language,
            "subject": filled_subject,
            "headline": str(DEFAULTS[event][1]),
            "body_html": rendering.text_to_html(filled_body),
            "body_text": filled_body,
            "eta": values["eta"],
            "layout": {key: str(text) for key, text in LAYOUT.items()},
            "heading": "h2" if in_page else "h1",
            "reference_line": str(LAYOUT["reference"])
            % {"order": values["order_reference"], "number": values["tracking_number"]},
            "confidence_line": _confidence(context),
            "look_out_line": _look_out(context),
            "next_step_line": _next_step(context),
            "held_for_line": str(LAYOUT["held_for"]) % {"days": context["hold_days"]}
            if context.get("hold_days")
            else "",
            "photo_url": context.get("photo_url", ""),
            "questions_line": str(LAYOUT["questions"]) % {"email": merchant.support_email}
            if merchant.support_email
            else "",
        }
        if event == "nearby" and language == "en" and context.get("nearby_lead"):
            layout["headline"] = context["nearby_lead"]
        card = render_to_string("fulfillment/messaging/_email_card.html", layout)
        html = render_to_string("fulfillment/messaging/email.html", {**layout, "card": card})
        text = render_to_string("fulfillment/messaging/email.txt", layout)
    return Email(subject=filled_subject, text=text, html=html, body_html=card)


def compose_sms(
    merchant: Merchant,
    *,
    event: str,
    language: str,
    context: dict[str, Any],
    body: str | None = None,
) -> str:
    with translation.override(language):
        if body is None:
            _subject, body = words(merchant, event=event, channel="sms", language=language)
        return rendering.one_line(rendering.fill(body, placeholder_values(context)))


def _confidence(context: dict[str, Any]) -> str:
    confidence = context.get("eta_confidence")
    if not confidence or not context.get("eta_from"):
        return ""
    return str(LAYOUT["confidence"]) % {"percent": round(float(confidence) * 100)}


def _look_out(context: dict[str, Any]) -> str:
    vehicle = context.get("vehicle")
    if not vehicle:
        return ""
    who = context.get("courier_name") or str(LAYOUT["the_courier"])
    return str(LAYOUT["look_out"]) % {"who": who, "vehicle": vehicle}


def _next_step(context: dict[str, Any]) -> str:
    """An own driver's failed stop: what happens to the parcel now (RouteStop.NextStep)."""
    step = context.get("next_step")
    return str(LAYOUT[step]) if step in ("next_wave", "locker", "back_to_hub") else ""
