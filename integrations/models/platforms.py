"""Shop platforms (Shopify, WooCommerce, Saleor): a merchant's connected stores, every webhook
they sent us (received once, processed by a task), and the link between a platform order and
ours (which also carries what we wrote back: fulfilments and their last status)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from merchant.models import MerchantOwned


class Platform(models.TextChoices):
    SHOPIFY = "shopify", "Shopify"
    WOOCOMMERCE = "woocommerce", "WooCommerce"
    SALEOR = "saleor", "Saleor"


class PlatformConnection(MerchantOwned):
    """One connected store. Credentials are a Fernet token of a JSON map (integrations/crypto.py):
    Shopify's Admin API token and app secret, WooCommerce's consumer key/secret and webhook secret,
    Saleor's app token (the shop's JWKS is fetched, cached in `settings`)."""

    class State(models.TextChoices):
        CONNECTING = "connecting", "Connecting"
        ACTIVE = "active", "Connected"
        FAILING = "failing", "Failing"
        DISCONNECTED = "disconnected", "Disconnected"

    platform = models.CharField(max_length=12, choices=Platform.choices)
    name = models.CharField(max_length=120)
    # Shopify: https://<shop>.myshopify.com; WooCommerce: the site URL; Saleor: the API URL.
    shop_url = models.URLField(max_length=300)
    credentials_encrypted = models.TextField(blank=True)
    credentials_hint = models.CharField(max_length=200, blank=True)
    # Non-secret, platform-specific state: webhook ids made at the platform, Saleor app id and
    # cached JWKS, location ids, the backfill cursor…
    settings = models.JSONField(default=dict, blank=True)
    # The path of our receiving endpoint for this store: unguessable, per connection.
    webhook_token = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.CONNECTING)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_received_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(default=timezone.now)
    disconnected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            # One live connection per store and merchant; a disconnected one may be reconnected.
            models.UniqueConstraint(
                fields=["merchant", "platform", "shop_url"],
                condition=~Q(state="disconnected"),
                name="platform_connection_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()}: {self.name}"


class InboundWebhook(MerchantOwned):
    """A verified webhook from a connected store, stored before it is processed (the platform
    gets its 200 at once; a task does the intake). `delivery_id` is the platform's own id of the
    delivery (X-Shopify-Webhook-Id, X-WC-Webhook-Delivery-ID, Saleor's event id) or, where it
    has none, a hash of the body: a redelivery is recognised and creates nothing new."""

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting"
        DONE = "done", "Processed"
        IGNORED = "ignored", "Nothing to do"
        FAILED = "failed", "Failed"

    connection = models.ForeignKey(
        PlatformConnection, on_delete=models.CASCADE, related_name="inbound_webhooks"
    )
    delivery_id = models.CharField(max_length=200)
    topic = models.CharField(max_length=80)
    payload = models.JSONField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "delivery_id"], name="inbound_webhook_once"
            ),
        ]
        indexes = [
            models.Index(fields=["connection", "-received_at"], name="inbound_webhook_log"),
            models.Index(
                fields=["received_at"], condition=Q(state="queued"), name="inbound_webhook_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.delivery_id}"


class PlatformOrder(MerchantOwned):
    """A platform's order and ours. `order` is empty while the order cannot be taken in (an
    unknown SKU, a bad address): the order is then an intake exception with `problem`, shown to
    the merchant and taken in again once fixed, never lost."""

    class State(models.TextChoices):
        IMPORTED = "imported", "In Nearbox"
        EXCEPTION = "exception", "Needs attention"
        CANCELLED = "cancelled", "Cancelled"

    connection = models.ForeignKey(
        PlatformConnection, on_delete=models.CASCADE, related_name="orders"
    )
    external_id = models.CharField(max_length=100)  # the platform's order id
    external_name = models.CharField(max_length=100, blank=True)  # "#1001"
    order = models.OneToOneField(
        "fulfillment.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="platform_order",
    )
    state = models.CharField(max_length=10, choices=State.choices)
    problem = models.CharField(max_length=500, blank=True)
    payload = models.JSONField(help_text="The platform's order as last received.")
    # The platform's version of the order (Shopify updated_at…): an older update never wins.
    external_updated_at = models.DateTimeField(null=True, blank=True)
    # What we wrote back: {shipment_id: {"id": platform fulfilment id, "status": last status}}.
    fulfillments = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "external_id"], name="platform_order_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["merchant", "-created_at"],
                condition=Q(state="exception"),
                name="platform_order_exceptions",
            ),
        ]

    def __str__(self) -> str:
        name = self.external_name or self.external_id
        return f"{self.connection.get_platform_display()} order {name}"
