"""The shop's brand as messages and the tracking page show it: colours with a readable text
colour on each (WCAG contrast), the logo's public address, the shop's links, and the sender
("Shop name <address>") and reply-to address of its emails."""

from __future__ import annotations

import re
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.urls import reverse

from merchant.models import Merchant

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_BRAND = "#0f766e"
DEFAULT_ACCENT = "#f59e0b"
LIGHT_TEXT = "#ffffff"
DARK_TEXT = "#18181b"
# The server's placeholder sender: never shown to shoppers when the shop has an address.
PLACEHOLDER_DOMAINS = ("localhost", "example.com", "localdomain")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_colour(value: str | None, default: str) -> str:
    """A #rrggbb colour, or the default: only these reach a style sheet or an email."""
    return value if value and HEX.match(value) else default


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours, 1 to 21."""
    a, b = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def text_colour_on(background: str) -> str:
    """White or near-black, whichever reads better on the background."""
    background = safe_colour(background, DEFAULT_BRAND)
    light = contrast_ratio(background, LIGHT_TEXT)
    dark = contrast_ratio(background, DARK_TEXT)
    return LIGHT_TEXT if light >= dark else DARK_TEXT


def logo_url(merchant: Merchant) -> str:
    if not merchant.logo:
        return ""
    return settings.NEARBOX_BASE_URL + reverse("merchant_logo", args=[merchant.slug])


def brand_context(merchant: Merchant) -> dict[str, str]:
    brand = safe_colour(merchant.brand_color, DEFAULT_BRAND)
    accent = safe_colour(getattr(merchant, "accent_color", ""), DEFAULT_ACCENT)
    return {
        "shop_name": merchant.name,
        "brand_color": brand,
        "brand_text": text_colour_on(brand),
        "accent_color": accent,
        "accent_text": text_colour_on(accent),
        # Links on white: the brand colour when it reads on white, else near-black.
        "link_color": brand if contrast_ratio(brand, LIGHT_TEXT) >= 4.5 else DARK_TEXT,
        "logo_url": logo_url(merchant),
        "website_url": merchant.website_url,
        "support_url": merchant.support_url,
        "support_email": merchant.support_email,
    }


def _server_address() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def _is_placeholder(address: str) -> bool:
    domain = address.rpartition("@")[2].lower()
    return not domain or domain in PLACEHOLDER_DOMAINS or domain.endswith(".localhost")


def sender(merchant: Merchant) -> str:
    """'Shop name <address>': the server's sending address when one is configured, else the
    shop's reply-to (or support) address; the name is always the shop's."""
    address = _server_address()
    if _is_placeholder(address):
        address = merchant.reply_to_email or merchant.support_email or address
    name = CONTROL.sub(" ", merchant.name).strip() or "Shop"
    return formataddr((name, address))


def reply_to(merchant: Merchant) -> list[str]:
    address = merchant.reply_to_email or merchant.support_email
    return [address] if address else []


BRAND_FIELDS = (
    "brand_color", "accent_color", "reply_to_email", "website_url", "support_url",
    "support_email",
)  # fmt: skip


def update_brand(*, merchant: Merchant, **fields: str) -> Merchant:
    """Change the shop's brand fields (validated by the model: #rrggbb colours, http(s) links,
    email addresses); raises ValidationError naming the field."""
    unknown = set(fields) - set(BRAND_FIELDS)
    if unknown:
        raise ValueError(f"unknown brand field {sorted(unknown)[0]}")
    for name, value in fields.items():
        setattr(merchant, name, value)
    merchant.full_clean(exclude=[f.name for f in Merchant._meta.fields if f.name not in fields])
    merchant.save(update_fields=[*fields])
    return merchant
