"""Outgoing webhooks: a merchant's endpoints, the events Nearbox records for them, and one
delivery per event and endpoint (its attempts, the last answer, when it is due again)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from merchant.models import MerchantOwned


class WebhookEndpoint(MerchantOwned):
    """A URL of the merchant's own systems that receives signed POSTs for the events it chose."""

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="Event types this endpoint receives.")
    # Fernet token (integrations/crypto.py): Nearbox must sign with the secret, so it is
    # encrypted, not hashed; the merchant sees it once, when made or rotated.
    secret_encrypted = models.TextField()
    secret_hint = models.CharField(max_length=12, blank=True)
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.url

    def subscribes_to(self, event_type: str) -> bool:
        return event_type in (self.events or [])


class WebhookEvent(MerchantOwned):
    """Something that happened to the merchant's orders, shipments or parcels, recorded once."""

    type = models.CharField(max_length=40)
    # Idempotency: the same domain change, signalled twice, is one event.
    key = models.CharField(max_length=200)
    # Deliveries with the same key go out in event order (per endpoint), e.g. "order:42".
    ordering_key = models.CharField(max_length=80, blank=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "key"], name="webhook_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.key}"


class WebhookDelivery(MerchantOwned):
    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Given up"

    OPEN_STATES = (State.PENDING, State.SENDING)

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    # Copied from the event, so the in-order rule is checked (and indexed) on this table alone.
    ordering_key = models.CharField(max_length=80, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # When pending: when it is due. When sending: the claim's lease (a crashed worker's claim
    # comes due again then).
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # Failed attempts are retried until then; a resend or re-enabling opens a new window.
    give_up_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response_excerpt = models.CharField(max_length=500, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_once"),
            # At most one delivery of a key in flight per endpoint: with the claim's "no earlier
            # open delivery" condition, events of one order reach a receiver in order.
            models.UniqueConstraint(
                fields=["endpoint", "ordering_key"],
                condition=Q(state="sending") & ~Q(ordering_key=""),
                name="webhook_one_in_flight_per_key",
            ),
        ]
        indexes = [
            models.Index(
                fields=["endpoint", "ordering_key", "event"],
                condition=Q(state__in=["pending", "sending"]),
                name="webhook_delivery_open",
            ),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["pending", "sending"]),
                name="webhook_delivery_due",
            ),
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} of event {self.event_id} to endpoint {self.endpoint_id}"
