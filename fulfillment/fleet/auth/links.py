"""One-time sign-in links for drivers: made with a random token whose SHA-256 alone is stored,
valid for LINK_LIFETIME, used once (a conditional UPDATE, so two taps sign in once)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from fulfillment.models import Driver, DriverSignInLink

LINK_LIFETIME = timedelta(hours=48)


class SignInLinkInvalid(Exception):
    """The link is unknown, used, expired, or its driver was deactivated."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def sign_in_url(token: str) -> str:
    return settings.NEARBOX_BASE_URL.rstrip("/") + reverse("fleet_driver_sign_in", args=[token])


def create_sign_in_link(*, driver: Driver, sent_to: str = "") -> tuple[DriverSignInLink, str]:
    """A new link for `driver`; returns it and the token (shown or sent once, never stored)."""
    if not driver.is_active:
        raise SignInLinkInvalid(f"{driver.name} is deactivated: activate the driver first.")
    token = secrets.token_urlsafe(32)
    link = DriverSignInLink.objects.create(
        merchant_id=driver.merchant_id,
        driver=driver,
        token_hash=hash_token(token),
        sent_to=sent_to[:254],
        expires_at=timezone.now() + LINK_LIFETIME,
    )
    return link, token


def find_usable_link(token: str) -> DriverSignInLink:
    """The link a token names when it can still be used (for the confirm page)."""
    if not token or len(token) > 100:
        raise SignInLinkInvalid("This sign-in link is not valid.")
    link = (
        DriverSignInLink.objects.select_related("driver", "merchant")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if link is None:
        raise SignInLinkInvalid("This sign-in link is not valid.")
    if link.used_at is not None:
        raise SignInLinkInvalid("This sign-in link was already used: ask for a new one.")
    if link.expires_at <= timezone.now():
        raise SignInLinkInvalid("This sign-in link has expired: ask for a new one.")
    if not link.driver.is_active:
        raise SignInLinkInvalid("This driver account is deactivated.")
    return link


def redeem_sign_in_link(*, token: str) -> Driver:
    """Use the link once: the driver it signs in. Raises SignInLinkInvalid otherwise."""
    link = find_usable_link(token)
    now = timezone.now()
    with transaction.atomic():
        used = DriverSignInLink.objects.filter(
            pk=link.pk, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if used != 1:
            raise SignInLinkInvalid("This sign-in link was already used: ask for a new one.")
        Driver.objects.filter(pk=link.driver_id).update(last_seen_at=now)
    return link.driver
