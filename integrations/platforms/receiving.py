"""Receiving a platform's webhook: find the connection by the unguessable token in the URL, let
its connector verify the signature and freshness, store the delivery once, and make sure a
drain task is coming. The platform is answered as soon as the row is stored (Shopify gives up
after 5 s and retries; a redelivery finds its row and creates nothing).

Processing runs in a drain task (drain): it claims queued deliveries one at a time, oldest
first (SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, so drains running side by side never take
the same one; SQLite's IMMEDIATE transactions make claims take turns), and each delivery's
intake and state change commit together, so a delivery is taken in exactly once even when a
drain runs twice. A burst of deliveries queues a handful of drains, not a task each: the view
queues one only when the shared cache has no "drain coming" flag (DRAIN_FLAG).
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
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
from integrations.platforms.credentials import read_credentials
from merchant.services.geocoding import GeocoderUnavailable

logger = logging.getLogger(__name__)

# last_received_at is a write to the connection's row: at most one per this interval per
# process, so a burst of webhooks does not queue up on one row lock.
RECEIVED_AT_GRANULARITY = timedelta(seconds=30)

# A connection (and its decrypted credentials) as read before, per webhook token: a store posting
# a burst is verified without a query and a decryption per delivery. Forgotten at once in this
# process when a connection is saved or deleted (post_save/post_delete) and after REMEMBER_SECONDS
# in the others; a signature it refuses is checked again against a fresh read (a rotated secret).
# A delivery accepted in those seconds after a disconnect is stored and then ignored: processing
# reads the connection afresh. Only HMAC platforms: Saleor's verification refreshes its JWKS
# onto the connection, which must not be shared between threads.
REMEMBER_SECONDS = 30.0
REMEMBERED_MAX = 1000
REMEMBERED_PLATFORMS = frozenset({"shopify", "woocommerce"})
_remembered: dict[str, tuple[float, PlatformConnection, dict[str, str]]] = {}
_remembered_lock = threading.Lock()

# "A drain task is queued or running and will look at the queue after this was set." Set with
# cache.add by whoever queues a drain; a drain deletes it before its last look at the queue, so a
# delivery stored while it is set is always seen (see drain). The timeout only bounds how long a
# crashed worker's flag keeps new drains from being queued (beat's sweep covers that gap too);
# while a long drain runs it lapses and the next delivery queues a second drain, which runs
# beside the first on another worker process.
DRAIN_FLAG_SECONDS = 5
DRAIN_BATCH = 500  # deliveries a drain takes in before it looks at its flag again


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
    token = token[:64]
    connection, credentials, remembered = _connection_for(token)
    try:
        inbound = get_connector(connection, credentials=credentials).verify_webhook(body, headers)
    except WebhookRefused:
        if not remembered:
            raise
        _forget(token)  # perhaps a new secret since it was remembered: check against a fresh read
        connection, credentials, _ = _connection_for(token)
        inbound = get_connector(connection, credentials=credentials).verify_webhook(body, headers)
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


def _connection_for(token: str) -> tuple[PlatformConnection, dict[str, str], bool]:
    """(the token's connected store, its credentials, whether they came from memory)."""
    now = time.monotonic()
    with _remembered_lock:
        entry = _remembered.get(token)
    if entry is not None and now - entry[0] < REMEMBER_SECONDS:
        return entry[1], entry[2], True
    connection = (
        PlatformConnection.objects.filter(webhook_token=token)
        .exclude(state=PlatformConnection.State.DISCONNECTED)
        .first()
    )
    if connection is None:
        _forget(token)
        raise UnknownConnection("No connected store has this webhook address.")
    try:
        credentials = read_credentials(connection)
    except SecretUnreadable as error:
        raise CannotVerify(str(error)) from error
    if connection.platform in REMEMBERED_PLATFORMS:
        with _remembered_lock:
            if len(_remembered) >= REMEMBERED_MAX:
                _remembered.clear()
            _remembered[token] = (now, connection, credentials)
    return connection, credentials, False


def _forget(token: str) -> None:
    with _remembered_lock:
        _remembered.pop(token, None)


def forget_connections() -> None:
    """Forget every remembered connection (tests; a connection changed behind the ORM)."""
    with _remembered_lock:
        _remembered.clear()


def _connection_changed(sender, instance: PlatformConnection, **_) -> None:
    _forget(instance.webhook_token)


for _signal in (post_save, post_delete):
    _signal.connect(
        _connection_changed,
        sender=PlatformConnection,
        dispatch_uid=f"integrations.platforms.receiving.forget_{_signal is post_save}",
    )


def drain_flag_key() -> str:
    from django.db import connection

    return f"platforms:inbound-drain-coming:{connection.settings_dict['NAME']}"


def _enqueue(webhook_id: int) -> None:
    """Make sure a drain will see this stored delivery: queue one unless one is coming."""
    if cache.add(drain_flag_key(), webhook_id, DRAIN_FLAG_SECONDS):
        queue_drain()


def queue_drain(countdown: int | None = None) -> None:
    from integrations.platforms.tasks import process_inbound_webhook

    process_inbound_webhook.apply_async(countdown=countdown)


def _note_received(connection: PlatformConnection, when: datetime) -> None:
    last = connection.last_received_at
    if last is None or when - last >= RECEIVED_AT_GRANULARITY:
        PlatformConnection.objects.filter(pk=connection.pk).update(last_received_at=when)
        connection.last_received_at = when  # the remembered copy too


# --- processing (the drain task) ----------------------------------------------------------
#
# A queued delivery whose intake hit something a retry may cure keeps state "queued" with
# processed_at set to when it may be tried again (processed_at is otherwise empty until it is
# processed): drains leave it alone until then, and after MAX_ATTEMPTS it is failed.

MAX_ATTEMPTS = 8  # with RETRY_BASE_SECONDS doubling, about 20 minutes of backoff in all
RETRY_BASE_SECONDS = 4
RETRY_MAX_SECONDS = 300


class RetryLater(Exception):
    """A delivery's intake failed in a way a retry may cure (geocoder, database)."""

    def __init__(self, webhook_id: int, error: Exception) -> None:
        super().__init__(str(error))
        self.webhook_id, self.error = webhook_id, error


class Unprocessable(Exception):
    """A delivery no retry will cure (a payload its connector chokes on)."""

    def __init__(self, webhook_id: int, error: Exception) -> None:
        super().__init__(repr(error))
        self.webhook_id, self.error = webhook_id, error


@dataclass
class Drained:
    """What one drain did: deliveries taken in (by their new state), postponed and failed."""

    states: dict[str, int]
    postponed: int = 0
    failed: int = 0
    retry_in: int | None = None  # seconds until the first postponed delivery is due

    @property
    def taken(self) -> int:
        return sum(self.states.values())


def _due(now: datetime):
    return InboundWebhook.objects.filter(
        Q(processed_at__isnull=True) | Q(processed_at__lte=now), state=InboundWebhook.State.QUEUED
    )


def process_webhook(*, webhook_id: int | None = None) -> str | None:
    """Take one stored delivery in: this one, or (None) the oldest due one no other drain
    holds. Returns its new state, or None when there was nothing to do (done already, not due,
    or another drain has it). Raises RetryLater (nothing changed: the transaction rolled back)
    and Unprocessable."""
    done = _take_next(webhook_id=webhook_id)
    return None if done is None else done[1]


def _take_next(*, webhook_id: int | None = None) -> tuple[int, str] | None:
    with transaction.atomic():
        # SKIP LOCKED: drains side by side each take another delivery (ignored by SQLite,
        # whose IMMEDIATE transactions take turns; settings.DATABASES).
        claim = (
            _due(timezone.now())
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("connection__merchant")
            # received_at alone: the partial index inbound_webhook_due gives the oldest
            # first without sorting every queued row.
            .order_by("received_at")
        )
        if webhook_id is not None:
            claim = claim.filter(pk=webhook_id)
        webhook = claim.first()
        if webhook is None:
            return None
        try:
            state = _process(webhook)
        except (GeocoderUnavailable, OperationalError) as error:
            raise RetryLater(webhook.pk, error) from error
        except Exception as error:
            raise Unprocessable(webhook.pk, error) from error
    return webhook.pk, state


def _process(webhook: InboundWebhook) -> str:
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


def drain(*, first: int | None = None) -> Drained:
    """Take in every due delivery, oldest first, one transaction each, until none is left;
    `first` (a delivery id a message of an older release carries) goes first.

    Before its last look it clears the drain flag: a delivery stored after that look queues a
    new drain, one stored before it is seen by the look (the row commits before its view tries
    the flag). Several drains may run at once; none takes a delivery another holds."""
    drained = Drained(states={})
    flag_cleared = False
    while True:
        try:
            done = _take_next(webhook_id=first)
        except RetryLater as later:
            _postpone(later, drained)
            done = (later.webhook_id, "")
        except Unprocessable as broken:
            logger.error(
                "platform webhook %s could not be processed",
                broken.webhook_id,
                exc_info=broken.error,
            )
            give_up(webhook_id=broken.webhook_id, reason=f"Could not be processed: {broken}")
            drained.failed += 1
            done = (broken.webhook_id, "")
        if first is not None:
            first = None
            if done is None:
                continue
        if done is None:
            if flag_cleared:
                break
            cache.delete(drain_flag_key())
            flag_cleared = True
            continue
        if done[1]:
            drained.states[done[1]] = drained.states.get(done[1], 0) + 1
        if flag_cleared:
            # More came in after all: carry on, and keep new deliveries from queueing more.
            cache.add(drain_flag_key(), "draining", DRAIN_FLAG_SECONDS)
            flag_cleared = False
    if drained.retry_in is not None:
        queue_drain(countdown=drained.retry_in)
    return drained


def _postpone(later: RetryLater, drained: Drained) -> None:
    """Count the attempt and set when it may be tried again; failed after MAX_ATTEMPTS."""
    webhook = InboundWebhook.objects.filter(pk=later.webhook_id).only("attempts").first()
    attempts = (webhook.attempts if webhook else 0) + 1
    if attempts >= MAX_ATTEMPTS:
        give_up(webhook_id=later.webhook_id, reason=f"Gave up after retries: {later.error}")
        drained.failed += 1
        return
    delay = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** (attempts - 1))
    InboundWebhook.objects.filter(pk=later.webhook_id, state=InboundWebhook.State.QUEUED).update(
        attempts=attempts,
        error=f"Will try again: {later.error}"[:500],
        processed_at=timezone.now() + timedelta(seconds=delay),
    )
    drained.postponed += 1
    drained.retry_in = delay if drained.retry_in is None else min(drained.retry_in, delay)


def give_up(*, webhook_id: int, reason: str) -> None:
    """A delivery whose processing kept failing: marked failed with the reason, for the page."""
    InboundWebhook.objects.filter(pk=webhook_id, state=InboundWebhook.State.QUEUED).update(
        state=InboundWebhook.State.FAILED, error=reason[:500], processed_at=timezone.now()
    )


def queued_too_long(*, older_than: timedelta = timedelta(minutes=2), limit: int = 500) -> list[int]:
    """Due deliveries still waiting well after they arrived (their drain was lost with a worker
    or a broker restart): beat queues a drain for them."""
    now = timezone.now()
    return list(
        _due(now)
        .filter(received_at__lt=now - older_than)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
