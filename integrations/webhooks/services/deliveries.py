"""Recording events and delivering them: one delivery per event and endpoint, each attempt a
signed POST, failures retried with exponential backoff and jitter until the delivery's
window closes, then given up; an endpoint that keeps failing is disabled and its owners told.

Order: deliveries that share an ordering key (one order's events) reach an endpoint in event
order. A delivery is claimed by a conditional UPDATE that requires no earlier open delivery
of its key, and the schema allows one in flight per key and endpoint; when a delivery ends
(delivered or given up) the next one of its key is queued.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from integrations.crypto import SecretUnreadable, decrypt_secret
from integrations.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from integrations.webhooks import http
from integrations.webhooks.active import endpoints_changed
from integrations.webhooks.events import PING, body_bytes
from integrations.webhooks.signing import signature_header
from merchant.models import Membership

logger = logging.getLogger(__name__)

State = WebhookDelivery.State
LEASE = timedelta(seconds=120)  # longer than one POST can take (timeouts are ≤ 10 s)
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
DUE_BATCH = 500
SWEEP_GRACE = timedelta(seconds=60)  # a first attempt's own task normally runs within it


class DeliveryBusy(ValidationError):
    """The delivery is being sent right now."""


def _window() -> timedelta:
    return timedelta(hours=settings.NEARBOX_WEBHOOKS_RETRY_HOURS)


def retry_delay(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with jitter after `attempts` failed attempts: 30 s, 1 min, 2 min …
    capped at an hour, each drawn from [half, full] so that failed deliveries spread out."""
    ceiling = min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)
    return timedelta(seconds=(rng or random).uniform(ceiling / 2, ceiling))


# --- recording ---------------------------------------------------------------------------


def subscribed_endpoints(merchant_id: int, event_type: str) -> list[WebhookEndpoint]:
    # Filtered in Python: SQLite (make run) has no JSON `contains`; a shop has few endpoints.
    endpoints = WebhookEndpoint.objects.filter(merchant_id=merchant_id, is_active=True)
    return [e for e in endpoints if e.subscribes_to(event_type)]


def record_event(
    *,
    merchant_id: int,
    event_type: str,
    key: str,
    ordering_key: str,
    data: dict,
    endpoints: list[WebhookEndpoint] | None = None,
) -> WebhookEvent | None:
    """Store the event once (by `key`) with a delivery to each active subscribed endpoint and
    queue them after commit. Nothing is stored when no endpoint wants it."""
    if endpoints is None:
        endpoints = subscribed_endpoints(merchant_id, event_type)
    if not endpoints:
        return None
    now = timezone.now()
    with transaction.atomic():
        event, created = WebhookEvent.objects.get_or_create(
            merchant_id=merchant_id,
            key=key[:200],
            defaults={
                "type": event_type,
                "ordering_key": ordering_key,
                "payload": data,
                "created_at": now,
            },
        )
        if not created:
            return event  # the same change signalled again: no second event
        WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(
                    merchant_id=merchant_id,
                    event=event,
                    endpoint=endpoint,
                    ordering_key=ordering_key,
                    next_attempt_at=now,
                    give_up_at=now + _window(),
                    created_at=now,
                )
                for endpoint in endpoints
            ],
            ignore_conflicts=True,
        )
        ids = list(event.deliveries.values_list("pk", flat=True))
        transaction.on_commit(lambda: _enqueue(ids))
    return event


def _enqueue(delivery_ids: list[int]) -> None:
    from integrations.webhooks.tasks import deliver_webhook

    for delivery_id in delivery_ids:
        deliver_webhook.delay(delivery_id)


# --- delivering --------------------------------------------------------------------------


def _claim(delivery: WebhookDelivery, now: datetime, *, ping: bool) -> bool:
    due = WebhookDelivery.objects.filter(
        pk=delivery.pk, state__in=WebhookDelivery.OPEN_STATES, next_attempt_at__lte=now
    )
    if not ping:
        # An EXISTS, not a join: with a join Django writes `WHERE id IN (SELECT …)`, which
        # PostgreSQL does not re-check against the row a concurrent claim just changed.
        active = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, is_active=True)
        due = due.filter(Exists(active))
    if delivery.ordering_key:
        earlier = WebhookDelivery.objects.filter(
            endpoint_id=delivery.endpoint_id,
            ordering_key=delivery.ordering_key,
            event_id__lt=delivery.event_id,
            state__in=WebhookDelivery.OPEN_STATES,
        )
        due = due.exclude(Exists(earlier))
    try:
        with transaction.atomic():
            return bool(
                due.update(
                    state=State.SENDING,
                    next_attempt_at=now + LEASE,
                    attempts=F("attempts") + 1,
                    last_attempt_at=now,
                )
            )
    except IntegrityError:  # a later delivery of this key is in flight (a resend): wait
        return False


def attempt_delivery(*, delivery_id: int, now: datetime | None = None) -> WebhookDelivery | None:
    """One attempt of one delivery, if it is due and first in its key's line; idempotent.
    Returns the delivery after the attempt, or None when there was nothing to do."""
    now = now or timezone.now()
    delivery = (
        WebhookDelivery.objects.select_related("event", "endpoint").filter(pk=delivery_id).first()
    )
    if delivery is None:
        return None
    ping = delivery.event.type == PING
    if not _claim(delivery, now, ping=ping):
        return None
    delivery.refresh_from_db(fields=["attempts", "state", "give_up_at"])
    answer = _send(delivery, now)
    return _record_outcome(delivery, answer, now, ping=ping)


def _send(delivery: WebhookDelivery, now: datetime) -> http.Answer:
    try:
        secret = decrypt_secret(delivery.endpoint.secret_encrypted)
    except SecretUnreadable as error:
        return http.Answer(None, "", str(error))
    body = body_bytes(delivery.event)
    headers = {
        "Nearbox-Signature": signature_header(secret, int(now.timestamp()), body),
        "Nearbox-Event": f"evt_{delivery.event_id}",
        "Nearbox-Event-Type": delivery.event.type,
        "Nearbox-Delivery": f"dlv_{delivery.pk}",
        "Nearbox-Attempt": str(delivery.attempts),
    }
    started = time.monotonic()
    answer = http.post(delivery.endpoint.url, body, headers)
    logger.info(
        "webhook delivery %s to endpoint %s: %s in %.0f ms",
        delivery.pk,
        delivery.endpoint_id,
        answer.status_code or answer.error,
        (time.monotonic() - started) * 1000,
    )
    return answer


def _record_outcome(
    delivery: WebhookDelivery, answer: http.Answer, now: datetime, *, ping: bool
) -> WebhookDelivery:
    error = answer.error
    if answer.status_code is not None and not answer.ok:
        error = f"HTTP {answer.status_code}" + (
            " (redirects are not followed)" if 300 <= answer.status_code < 400 else ""
        )
    fields = {
        "last_status_code": answer.status_code,
        "last_response_excerpt": answer.excerpt,
        "last_error": error[:300],
    }
    if answer.ok:
        fields.update(state=State.DELIVERED, delivered_at=now)
    elif ping or now >= delivery.give_up_at:
        fields.update(state=State.FAILED)
    else:
        fields.update(state=State.PENDING, next_attempt_at=now + retry_delay(delivery.attempts))
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk, state=State.SENDING).update(**fields)
        if not ping:
            _count_on_endpoint(delivery.endpoint_id, ok=answer.ok, now=now)
        if fields["state"] != State.PENDING and delivery.ordering_key:
            transaction.on_commit(lambda: _queue_next_in_line(delivery, now))
    # The endpoint (and its log) may have been deleted while the POST was on its way.
    return WebhookDelivery.objects.filter(pk=delivery.pk).first() or delivery


def _count_on_endpoint(endpoint_id: int, *, ok: bool, now: datetime) -> None:
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint_id)
    if ok:
        endpoints.exclude(consecutive_failures=0, failing_since=None).update(
            consecutive_failures=0, failing_since=None
        )
        return
    endpoints.update(
        consecutive_failures=F("consecutive_failures") + 1,
        failing_since=Coalesce("failing_since", now),
    )
    endpoint = endpoints.only("consecutive_failures", "failing_since", "is_active").first()
    if endpoint is None or not endpoint.is_active:
        return
    too_many = endpoint.consecutive_failures >= settings.NEARBOX_WEBHOOKS_DISABLE_AFTER
    too_long = endpoint.failing_since is not None and now - endpoint.failing_since >= _window()
    if not (too_many or too_long):
        return
    reason = (
        f"{endpoint.consecutive_failures} deliveries in a row failed"
        if too_many
        else f"Every delivery failed for {settings.NEARBOX_WEBHOOKS_RETRY_HOURS:g} hours"
    )
    disabled = WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True).update(
        is_active=False, disabled_reason=f"{reason}; Nearbox stopped sending.", disabled_at=now
    )
    if disabled:  # exactly one attempt disables it, so the owners get one email
        endpoints_changed()
        transaction.on_commit(lambda: email_owners_disabled(endpoint_id))


def email_owners_disabled(endpoint_id: int) -> None:
    endpoint = WebhookEndpoint.objects.select_related("merchant").filter(pk=endpoint_id).first()
    if endpoint is None:
        return
    owners = list(
        Membership.objects.for_merchant(endpoint.merchant)
        .filter(role=Membership.Role.OWNER, user__is_active=True)
        .values_list("user__email", flat=True)
    )
    if not owners:
        return
    body = render_to_string(
        "integrations/email/endpoint_disabled.txt",
        {
            "endpoint": endpoint,
            "merchant": endpoint.merchant,
            "link": settings.NEARBOX_BASE_URL + reverse("webhook_endpoint", args=[endpoint.pk]),
        },
    )
    send_mail(f"Nearbox stopped sending webhooks to {endpoint.url}"[:150], body, None, owners)


def _queue_next_in_line(delivery: WebhookDelivery, now: datetime) -> None:
    following = (
        WebhookDelivery.objects.filter(
            endpoint_id=delivery.endpoint_id,
            ordering_key=delivery.ordering_key,
            event_id__gt=delivery.event_id,
            state=State.PENDING,
            next_attempt_at__lte=now,
        )
        .order_by("event_id")
        .values_list("pk", flat=True)
        .first()
    )
    if following is not None:
        _enqueue([following])


def due_delivery_ids(
    *,
    now: datetime | None = None,
    endpoint_id: int | None = None,
    grace: timedelta = timedelta(0),
) -> list[int]:
    """Deliveries due (retries, expired claims), first in each key's line, oldest first.
    A first attempt younger than `grace` is left alone: its task is still in the queue."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(
        state__in=WebhookDelivery.OPEN_STATES, next_attempt_at__lte=now, endpoint__is_active=True
    )
    if grace:
        due = due.filter(Q(attempts__gt=0) | Q(next_attempt_at__lte=now - grace))
    if endpoint_id is not None:
        due = due.filter(endpoint_id=endpoint_id)
    # Not the ones waiting behind an earlier open delivery of their key: each would be a
    # task that claims nothing, again at every sweep.
    earlier = WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        ordering_key=OuterRef("ordering_key"),
        event_id__lt=OuterRef("event_id"),
        state__in=WebhookDelivery.OPEN_STATES,
    ).exclude(ordering_key="")
    due = due.exclude(Exists(earlier))
    return list(due.order_by("event_id", "pk").values_list("pk", flat=True)[:DUE_BATCH])


def enqueue_due(
    *,
    now: datetime | None = None,
    endpoint_id: int | None = None,
    grace: timedelta = SWEEP_GRACE,
) -> int:
    """Queue a task for each due delivery (beat's sweep, every 30 s; enabling an endpoint)."""
    ids = due_delivery_ids(now=now, endpoint_id=endpoint_id, grace=grace)
    _enqueue(ids)
    return len(ids)


def run_due(*, now: datetime | None = None) -> int:
    """Attempt every due delivery in this process, in line order, until none is left due: for
    a clock other than now (tests, a `manage.py shell`). Beat queues them instead."""
    done = 0
    while True:
        attempted = sum(
            attempt_delivery(delivery_id=delivery_id, now=now) is not None
            for delivery_id in due_delivery_ids(now=now)
        )
        if not attempted:
            return done
        done += attempted


# --- from the log ------------------------------------------------------------------------


def resend(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again (delivered or given up: it goes out once more, signed anew)."""
    if not delivery.endpoint.is_active:
        raise ValidationError({"delivery": "Enable the endpoint first; it is disabled."})
    now = timezone.now()
    changed = (
        WebhookDelivery.objects.filter(pk=delivery.pk)
        .exclude(state=State.SENDING)
        .update(state=State.PENDING, attempts=0, next_attempt_at=now, give_up_at=now + _window())
    )
    if not changed:
        raise DeliveryBusy({"delivery": "This delivery is being sent right now."})
    transaction.on_commit(lambda: _enqueue([delivery.pk]))
    delivery.refresh_from_db()
    return delivery


@dataclass(frozen=True)
class TestResult:
    delivery: WebhookDelivery

    @property
    def ok(self) -> bool:
        return self.delivery.state == State.DELIVERED


def send_test_event(*, endpoint: WebhookEndpoint) -> TestResult:
    """POST a `ping` event now, in this request, once: the page shows the answer's code.
    A failed test does not count towards disabling the endpoint."""
    now = timezone.now()
    event = WebhookEvent.objects.create(
        merchant_id=endpoint.merchant_id,
        type=PING,
        key=f"ping:{uuid.uuid4().hex}",
        ordering_key="",
        payload={"endpoint": {"id": endpoint.pk, "url": endpoint.url}, "message": "Hello."},
        created_at=now,
    )
    delivery = WebhookDelivery.objects.create(
        merchant_id=endpoint.merchant_id,
        event=event,
        endpoint=endpoint,
        next_attempt_at=now,
        give_up_at=now,
        created_at=now,
    )
    return TestResult(attempt_delivery(delivery_id=delivery.pk, now=now) or delivery)
