"""Tracking: per-shipment polling state and ETA (fields added to Shipment), shopper
notifications (one row per shipment and kind), each merchant's notification switches, webhook
receipts (replay protection) and each courier account's change-feed cursor.

The tracking fields live on Shipment itself (migration 0003_tracking adds them) because the
polling planner selects due shipments by `next_poll_at` without a join.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from fulfillment.models.couriers import CourierAccount
from fulfillment.models.shipments import EtaSource, Shipment  # noqa: F401  (re-exported for tracking code)
from fulfillment.models.tokens import new_public_token  # noqa: F401
from merchant.models import MerchantOwned


class Notification(MerchantOwned):
    """One message to the shopper per shipment and kind; the row exists before it is sent."""

    class Kind(models.TextChoices):
        SHIPPED = "shipped", "Shipped"
        OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
        AVAILABLE_FOR_PICKUP = "available_for_pickup", "Ready for pickup"
        DELIVERED = "delivered", "Delivered"
        FAILED_ATTEMPT = "failed_attempt", "Delivery attempt failed"
        NEARBY = "nearby", "Courier nearby"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Not sent"
        FAILED = "failed", "Failed"

    # Indexed by notification_once_per_kind (shipment, kind).
    shipment = models.ForeignKey(
        Shipment, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    channels = models.CharField(max_length=20, blank=True, help_text="email, sms as sent.")
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(
        default=timezone.now, help_text="Last time its task was queued."
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["shipment_id", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "kind"], name="notification_once_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for shipment {self.shipment_id}"


class NotificationSettings(MerchantOwned):
    """Which notifications a merchant's shoppers get, and on which channels (one per merchant)."""

    shipped = models.BooleanField("Shipped, with the delivery window", default=True)
    out_for_delivery = models.BooleanField("Out for delivery", default=True)
    available_for_pickup = models.BooleanField("Ready for pickup, with the code", default=True)
    delivered = models.BooleanField("Delivered", default=True)
    failed_attempt = models.BooleanField("Delivery attempt failed", default=True)
    nearby = models.BooleanField("Courier nearby (live couriers)", default=True)
    email_enabled = models.BooleanField("Send emails", default=True)
    sms_enabled = models.BooleanField("Send text messages", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant"], name="one_notification_settings")
        ]

    def __str__(self) -> str:
        return f"Notification settings of merchant {self.merchant_id}"

    def allows(self, kind: str) -> bool:
        return bool(getattr(self, kind, False)) and (self.email_enabled or self.sms_enabled)


class WebhookReceipt(models.Model):
    """A verified webhook request; its nonce (signature) is accepted once per account."""

    account = models.ForeignKey(CourierAccount, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=128)
    received_at = models.DateTimeField(default=timezone.now)
    events = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "nonce"], name="webhook_receipt_once")
        ]
        indexes = [models.Index(fields=["received_at"], name="webhook_receipt_age")]

    def __str__(self) -> str:
        return f"Webhook to account {self.account_id} at {self.received_at:%Y-%m-%d %H:%M:%S}"


class PollCursor(MerchantOwned):
    """A courier account's tracking state: change-feed cursor and when it last pushed/fed."""

    account = models.OneToOneField(
        CourierAccount, on_delete=models.CASCADE, related_name="poll_cursor"
    )
    cursor = models.CharField(max_length=200, blank=True)
    last_feed_at = models.DateTimeField(null=True, blank=True)
    last_webhook_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Tracking cursor of account {self.account_id}"


class CourierPosition(MerchantOwned):
    """Where the courier carrying a shipment was last seen (an on-demand courier's webhook, or
    later an own driver's phone): one row per shipment, only ever moved forward in the courier's
    time, so positions that arrive out of order keep the newest."""

    shipment = models.OneToOneField(
        Shipment, on_delete=models.CASCADE, related_name="courier_position"
    )
    latitude = models.FloatField()
    longitude = models.FloatField()
    recorded_at = models.DateTimeField(help_text="When the courier was there (courier's clock).")
    received_at = models.DateTimeField(default=timezone.now)
    courier_name = models.CharField(max_length=80, blank=True, help_text="First name only.")
    vehicle = models.CharField(max_length=40, blank=True)
    eta_at = models.DateTimeField(null=True, blank=True, help_text="Courier's ETA at the drop-off.")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__gte=-90, latitude__lte=90)
                & models.Q(longitude__gte=-180, longitude__lte=180),
                name="courier_position_on_earth",
            )
        ]

    def __str__(self) -> str:
        return f"Courier of shipment {self.shipment_id} at {self.latitude:.5f},{self.longitude:.5f}"
