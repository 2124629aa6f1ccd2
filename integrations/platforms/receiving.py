"""Receiving a platform's webhook: find the connection by the unguessable token in the URL, let
its connector verify the signature and freshness, store the delivery once, and queue its
processing after commit. The platform is answered as soon as the row is stored (Shopify gives
up after 5 s and retries; a redelivery finds its row and creates nothing).

Processing (process_webhook) runs in a task: the intake and the delivery's state change commit
together, so a delivery is taken in exactly once even when its task runs twice.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from integrations.crypto import SecretUnreadable
from integrations.models import InboundWebhook, PlatformConnection
from integrations.platforms import intake
from integrations.platforms.base import MAX_BODY_BYTES as MAX_BODY_BYTES  # the view's limit
from integrations.platforms.base import (
    ORDER_CANCELLED,
    ORDER_TOPICS,
    WebhookRefused,
    get_connector,
)

logger = logging.getLogger(__name__)

# last_received_at is a write to the connection's row: at most one per this interval per
# process, so a burst of webhooks does not queue up on one row lock.
RECEIVED_AT_GRANULARITY = timedelta(seconds=30)


class UnknownConnection(Exception):
    """No connected store has this webhook token (never connected, or disconnected)."""


class CannotVerify(Exception):
    """Our side cannot check the signature now (the stored secret does not decrypt): the
    platform should send it again later."""


@dataclass(frozen=True)
class Received:
    webhook: InboundWebhook | None  # None: a redelivery of one already stored
    duplicate: bool


def new_webhook_token() -> str:
    return secrets.token_urlsafe(32)


def webhook_url(connection: PlatformConnection) -> str:
    path = reverse("platform_webhook", args=[connection.webhook_token])
    return f"{settings.NEARBOX_BASE_URL}{path}"


def receive(*, token: str, body: bytes, headers: Mapping[str, str]) -> Received:
    """Verify and store one delivery. Raises UnknownConnection, WebhookRefused (nothing is
    written) or CannotVerify."""
    connection = (
        PlatformConnection.objects.filter(webhook_token=token[:64])
        .exclude(state=PlatformConnection.State.DISCONNECTED)
        .first()
    )
    if connection is None:
        raise UnknownConnection("No connected store has this webhook address.")
    try:
        connector = get_connector(connection)
    except SecretUnreadable as error:
        raise CannotVerify(str(error)) from error
    inbound = connector.verify_webhook(body, headers)
    delivery_id = inbound.delivery_id.strip()[:200]
    if not delivery_id:
        raise WebhookRefused("The delivery has no id.")
    # One INSERT in autocommit (no BEGIN/COMMIT round trips): once it returns, the row is
    # committed and its task can be queued. Inside a caller's transaction, a savepoint keeps a
    # duplicate's IntegrityError from spoiling it.
    inside = transaction.get_connection().in_atomic_block
    try:
        with transaction.atomic() if inside else contextlib.nullcontext():
            webhook = InboundWebhook.objects.create(
                merchant_id=connection.merchant_id,
                connection=connection,
                delivery_id=delivery_id,
                topic=inbound.topic[:80],
                payload=inbound.payload,
            )
    except IntegrityError:
        return Received(None, duplicate=True)
    transaction.on_commit(lambda: _enqueue(webhook.pk))  # at once unless in a transaction
    _note_received(connection, webhook.received_at)
    return Received(webhook, duplicate=False)


def _enqueue(webhook_id: int) -> None:
    from integrations.platforms.tasks import process_inbound_webhook

    process_inbound_webhook.delay(webhook_id)


def _note_received(connection: PlatformConnection, when) -> None:
    last = connection.last_received_at
    if last is None or when - last >= RECEIVED_AT_GRANULARITY:
        PlatformConnection.objects.filter(pk=connection.pk).update(last_received_at=when)


# --- processing (the task) ----------------------------------------------------------------


def process_webhook(*, webhook_id: int) -> str | None:
    """Take a stored delivery in; returns its new state, or None when there was nothing to do
    (done already, or another worker has it). Raises what a retry may cure."""
    with transaction.atomic():
        webhook = (
            InboundWebhook.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("connection__merchant")
            .filter(pk=webhook_id, state=InboundWebhook.State.QUEUED)
            .first()
        )
        if webhook is None:
            return None
        connection = webhook.connection
        webhook.attempts += 1
        if connection.state == PlatformConnection.State.DISCONNECTED:
            state, error = InboundWebhook.State.IGNORED, "The store was disconnected."
        elif webhook.topic in ORDER_TOPICS:
            done = intake.take_in(
                connection=connection,
                payload=webhook.payload,
                cancelled=webhook.topic == ORDER_CANCELLED,
            )
            state = (
                InboundWebhook.State.IGNORED
                if done.outcome == intake.Outcome.IGNORED
                else InboundWebhook.State.DONE
            )
            error = done.detail
        else:
            connector = get_connector(connection, credentials={})
            state, error = connector.handle_other_topic(webhook.topic, webhook.payload)
        webhook.state, webhook.error = state, error[:500]
        webhook.processed_at = timezone.now()
        webhook.save(update_fields=["state", "error", "attempts", "processed_at"])
    return state


def give_up(*, webhook_id: int, reason: str) -> None:
    """A delivery whose processing kept failing: marked failed with the reason, for the page."""
    InboundWebhook.objects.filter(pk=webhook_id, state=InboundWebhook.State.QUEUED).update(
        state=InboundWebhook.State.FAILED, error=reason[:500], processed_at=timezone.now()
    )


def queued_too_long(*, older_than: timedelta = timedelta(minutes=2), limit: int = 500) -> list[int]:
    """Deliveries still waiting well after they arrived (their task was lost with a worker
    or a broker restart): beat queues them again."""
    cutoff = timezone.now() - older_than
    return list(
        InboundWebhook.objects.filter(state=InboundWebhook.State.QUEUED, received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
