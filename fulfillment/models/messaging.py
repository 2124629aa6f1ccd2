"""Shopper messages (#19 item 5): the merchant's own wording of each message per event, channel
and language (`NotificationTemplate`), and the log of every message sent (`SentMessage`): what,
when, to whom, on which channel, and what the provider said afterwards (delivered, bounced)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from merchant.models import MerchantOwned

__all__ = ["MessageEvent", "NotificationTemplate", "SentMessage"]


class MessageEvent(models.TextChoices):
    """What a message is about; the first six are Notification.Kind's values."""

    SHIPPED = "shipped", "Shipped"
    OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup", "Ready for pickup"
    DELIVERED = "delivered", "Delivered"
    FAILED_ATTEMPT = "failed_attempt", "Delivery attempt failed"
    NEARBY = "nearby", "Courier nearby"
    RETURN_LABEL_READY = "return_label_ready", "Return label ready"
    RETURN_RECEIVED = "return_received", "Return received"
    REDIRECTED = "redirected", "Sent to a locker or shop"
    RESCHEDULED = "rescheduled", "New delivery day"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class NotificationTemplate(MerchantOwned):
    """The merchant's wording of one message; without one, the default text in that language.
    Subject and body are plain text with {{ placeholder }} names (fulfillment/messaging/
    services/rendering.py), never Django template code."""

    Channel = Channel

    event = models.CharField(max_length=24, choices=MessageEvent.choices)
    channel = models.CharField(max_length=5, choices=Channel.choices)
    language = models.CharField(max_length=8)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(max_length=5000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["event", "channel", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "event", "channel", "language"],
                name="one_template_per_event_channel_language",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} ({self.channel}, {self.language})"


class SentMessage(MerchantOwned):
    """One message that went out (or failed to), on one channel, to one address."""

    Channel = Channel

    class State(models.TextChoices):
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Marked as spam"
        FAILED = "failed", "Failed"

    order = models.ForeignKey(
        "fulfillment.Order", on_delete=models.CASCADE, null=True, blank=True,
        related_name="sent_messages",
    )  # fmt: skip
    notification = models.ForeignKey(
        "fulfillment.Notification", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="sent_messages",
    )  # fmt: skip
    event = models.CharField(max_length=24, choices=MessageEvent.choices)
    channel = models.CharField(max_length=5, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=8, blank=True)
    is_test = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.SENT)
    # Our Message-ID for an email, the provider's id (Twilio's SM…) for a text message: the
    # provider's delivery reports name it.
    provider_id = models.CharField(max_length=200, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        indexes = [
            models.Index(fields=["order", "-sent_at"], name="sent_message_by_order"),
            models.Index(
                fields=["provider_id"], condition=~Q(provider_id=""), name="sent_message_provider"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} by {self.channel} to {self.recipient}"
