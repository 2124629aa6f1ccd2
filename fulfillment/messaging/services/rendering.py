"""Merchant-written message text, rendered safely: `{{ name }}` is replaced by one of
PLACEHOLDERS' values and nothing else happens. No Django template engine sees the merchant's
text, so `{% load %}`, filters or `{{ settings.SECRET_KEY }}` are inert: an unknown name is
refused when the template is saved and renders as nothing. HTML is escaped after filling in."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.utils.html import linebreaks
from django.utils.safestring import SafeString

from fulfillment.messaging.copy import DEFAULT_LANGUAGE, LANGUAGES

# What each name stands for, as the template editor lists them.
PLACEHOLDERS = {
    "shop_name": "your shop's name",
    "shopper_name": "the shopper's name",
    "order_reference": "the order number",
    "tracking_number": "the courier's tracking number",
    "tracking_url": "the tracking page's address",
    "courier": "the courier's name",
    "eta": "the expected delivery window, when known",
    "pickup_code": "the pickup code (ready for pickup)",
    "pickup_point": "the pickup point's name and address",
    "nearby_lead": "who is how far away (courier nearby)",
    "opening_hours": "the pickup point's opening hours (sent to a pickup point)",
    "hold_days": "how many days the pickup point holds the parcel",
    "delivery_day": "the new delivery day (new delivery day)",
    "website_url": "your website",
    "support_email": "your support email address",
}
PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


def placeholder_names(text: str) -> list[str]:
    return [match.strip() for match in PLACEHOLDER.findall(text)]


def unknown_placeholders(text: str) -> list[str]:
    return [name for name in placeholder_names(text) if name not in PLACEHOLDERS]


def fill(text: str, values: Mapping[str, object]) -> str:
    """The text with each known {{ name }} replaced by its value (as plain text)."""

    def value(match: re.Match) -> str:
        name = match.group(1).strip()
        found = values.get(name, "") if name in PLACEHOLDERS else ""
        return "" if found is None else str(found)

    return PLACEHOLDER.sub(value, text)


def text_to_html(text: str) -> SafeString:
    """Plain text as escaped HTML paragraphs (blank lines) and line breaks."""
    return SafeString(linebreaks(text, autoescape=True))


def one_line(text: str) -> str:
    """For subjects and text messages: no line breaks, no runs of spaces."""
    return " ".join(text.split())


def shopper_language(code: str | None) -> str:
    """One of LANGUAGES for an order's language ('es-MX' → 'es'); English otherwise."""
    base = (code or "").replace("_", "-").split("-", 1)[0].strip().lower()
    return base if base in dict(LANGUAGES) else DEFAULT_LANGUAGE
