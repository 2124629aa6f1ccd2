"""A merchant's webhook endpoints: add, change, rotate the secret, disable/enable, delete.

The signing secret is returned once (NewEndpoint.secret) when made or rotated; afterwards
only its hint is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from integrations.crypto import encrypt_secret
from integrations.models import WebhookDelivery, WebhookEndpoint
from integrations.webhooks.active import endpoints_changed
from integrations.webhooks.events import EVENT_TYPES
from integrations.webhooks.signing import new_secret
from integrations.webhooks.targets import clean_url
from merchant.limits import text_problem
from merchant.models import Merchant

MAX_ENDPOINTS = 20
MAX_DESCRIPTION = 200


@dataclass(frozen=True)
class NewSecret:
    endpoint: WebhookEndpoint
    secret: str  # shown to the merchant once


def clean_events(values: object) -> list[str]:
    if not isinstance(values, list | tuple) or not values:
        raise ValidationError({"events": "Choose at least one event."})
    unknown = [str(v)[:40] for v in values if v not in EVENT_TYPES]
    if unknown:
        raise ValidationError(
            {"events": f"Unknown event: {', '.join(unknown[:5])}. Known: {', '.join(EVENT_TYPES)}."}
        )
    return [name for name in EVENT_TYPES if name in values]  # the documented order, no repeats


def _clean_description(value: str) -> str:
    value = (value or "").strip()
    problem = text_problem(value) if value else None
    if problem:
        raise ValidationError({"description": problem})
    if len(value) > MAX_DESCRIPTION:
        raise ValidationError({"description": f"Use at most {MAX_DESCRIPTION} characters."})
    return value


def _with_url_field(error: ValidationError) -> ValidationError:
    return ValidationError({"url": error.messages})


def create_endpoint(
    *, merchant: Merchant, url: str, events: list[str], description: str = ""
) -> NewSecret:
    try:
        url = clean_url(url)
    except ValidationError as error:
        raise _with_url_field(error) from None
    fields = {"events": clean_events(events), "description": _clean_description(description)}
    secret = new_secret()
    with transaction.atomic():
        # Lock the merchant row: two concurrent adds cannot both pass the limit.
        Merchant.objects.select_for_update().filter(pk=merchant.pk).exists()
        if WebhookEndpoint.objects.for_merchant(merchant).count() >= MAX_ENDPOINTS:
            raise ValidationError({"url": f"A shop can have at most {MAX_ENDPOINTS} endpoints."})
        endpoint = WebhookEndpoint.objects.create(
            merchant=merchant,
            url=url,
            secret_encrypted=encrypt_secret(secret),
            secret_hint=secret[-4:],
            **fields,
        )
    return NewSecret(endpoint, secret)


def update_endpoint(
    *, endpoint: WebhookEndpoint, url: str, events: list[str], description: str = ""
) -> WebhookEndpoint:
    try:
        endpoint.url = clean_url(url)
    except ValidationError as error:
        raise _with_url_field(error) from None
    endpoint.events = clean_events(events)
    endpoint.description = _clean_description(description)
    endpoint.save(update_fields=["url", "events", "description"])
    return endpoint


def rotate_secret(*, endpoint: WebhookEndpoint) -> NewSecret:
    """A new secret signs every delivery from now on; the old one stops verifying at once."""
    secret = new_secret()
    endpoint.secret_encrypted = encrypt_secret(secret)
    endpoint.secret_hint = secret[-4:]
    endpoint.save(update_fields=["secret_encrypted", "secret_hint"])
    return NewSecret(endpoint, secret)


def disable_endpoint(
    *, endpoint: WebhookEndpoint, reason: str = "Disabled by the merchant."
) -> bool:
    """Stop sending (deliveries wait). Returns False when it was disabled already."""
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_reason=reason[:300], disabled_at=timezone.now()
    )
    endpoints_changed()
    endpoint.refresh_from_db()
    return bool(changed)


def enable_endpoint(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Send again: the failure count starts over and waiting deliveries are due now, with a
    fresh retry window (their own would often have run out while the endpoint was off)."""
    from integrations.webhooks.services.deliveries import enqueue_due

    now = timezone.now()
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            is_active=True,
            disabled_reason="",
            disabled_at=None,
            consecutive_failures=0,
            failing_since=None,
        )
        WebhookDelivery.objects.filter(
            endpoint=endpoint, state=WebhookDelivery.State.PENDING
        ).update(
            next_attempt_at=now,
            give_up_at=now + timedelta(hours=settings.NEARBOX_WEBHOOKS_RETRY_HOURS),
        )
        endpoints_changed()
        transaction.on_commit(lambda: enqueue_due(endpoint_id=endpoint.pk, grace=timedelta(0)))
    endpoint.refresh_from_db()
    return endpoint


def delete_endpoint(*, endpoint: WebhookEndpoint) -> None:
    """Deletes the endpoint and its delivery log (the events stay for other endpoints)."""
    endpoint.delete()
