"""Orders: what a shopper bought, where it goes, which storage point ships it, and its history.

The destination is kept as entered and normalised (gazetteer city/state, five-digit ZIP,
coordinates); address problems are stored on the order with stable codes, and a label may not be
printed while one is open (`Order.can_ship`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone

from merchant.models import MerchantOwned


class Order(MerchantOwned):
    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        ALLOCATED = "allocated", "Allocated"
        PICKED = "picked", "Picked"
        PACKED = "packed", "Packed"
        HANDED_OVER = "handed_over", "Handed over"
        AT_PICKUP = "at_pickup", "Ready for pickup"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"
        RETURNED = "returned", "Returned"

    # A live order, still to ship: its stock is held and a label may be booked and printed
    # (can_ship, the state machine's moves from the warehouse, Today's work).
    SHIPPABLE_STATUSES = frozenset({Status.ALLOCATED, Status.PICKED, Status.PACKED})

    class AddressStatus(models.TextChoices):
        OK = "ok", "OK"
        PROBLEM = "problem", "Problem"
        OVERRIDDEN = "overridden", "Overridden by staff"

    class DeliveryKind(models.TextChoices):
        HOME = "home", "Home delivery"
        LOCKER = "locker", "Locker"
        PICKUP_SHOP = "pickup_shop", "Pickup shop"

    class ServiceLevel(models.TextChoices):
        SAME_DAY = "same_day", "Same day"
        NEXT_DAY = "next_day", "Next day"
        ECONOMY = "economy", "Economy"

    class Source(models.TextChoices):
        API = "api", "API"
        CSV = "csv", "CSV import"
        MANUAL = "manual", "Entered by hand"
        CHECKOUT = "checkout", "Checkout"
        SHOPIFY = "shopify", "Shopify"
        WOOCOMMERCE = "woocommerce", "WooCommerce"
        SALEOR = "saleor", "Saleor"

    reference = models.CharField(
        max_length=80, blank=True, help_text="The shop's own order number (unique when given)."
    )
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.API)

    shopper_name = models.CharField(max_length=150)
    shopper_email = models.EmailField(blank=True)
    shopper_phone = models.CharField(max_length=32, blank=True)
    language = models.CharField(
        max_length=8, blank=True, help_text="The shopper's language for messages (en, es, de)."
    )

    # Destination as entered.
    line1 = models.CharField("address line 1", max_length=200, blank=True)
    line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=40, blank=True)
    postal_code = models.CharField(max_length=12)
    country = models.CharField(max_length=2, default="US")
    # Destination normalised.
    normalized_postal_code = models.CharField(max_length=12, blank=True)
    normalized_city = models.CharField(max_length=100, blank=True)
    normalized_state = models.CharField(max_length=40, blank=True)
    normalized_address = models.CharField(max_length=400, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    coordinates_source = models.CharField(
        max_length=30, blank=True, help_text="shop (sent with the order) or geocoder:<name>."
    )

    delivery_kind = models.CharField(
        max_length=12, choices=DeliveryKind.choices, default=DeliveryKind.HOME
    )
    delivery_service = models.CharField(
        max_length=64, blank=True, help_text="Courier service code chosen at checkout."
    )
    pickup_location_ref = models.CharField(
        max_length=64, blank=True, help_text="Locker or pickup shop chosen at checkout."
    )
    service_level = models.CharField(
        max_length=10, choices=ServiceLevel.choices, default=ServiceLevel.NEXT_DAY
    )
    promised_from = models.DateTimeField(null=True, blank=True)
    promised_until = models.DateTimeField(null=True, blank=True)

    value = models.PositiveBigIntegerField(default=0, help_text="In minor units (cents).")
    currency = models.CharField(max_length=3, default="USD")

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    address_status = models.CharField(
        max_length=10, choices=AddressStatus.choices, default=AddressStatus.OK
    )
    address_problems = models.JSONField(
        default=list, blank=True, help_text="[{code, field, message}], empty when all is well."
    )
    routing = models.JSONField(
        default=dict, blank=True, help_text="Why the storage points were chosen (or skipped)."
    )

    idempotency_key = models.CharField(max_length=255, blank=True)
    request_digest = models.CharField(max_length=64, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["merchant", "-created_at"], name="order_list"),
            models.Index(fields=["merchant", "status", "-created_at"], name="order_by_status"),
            models.Index(
                fields=["merchant", "-created_at"],
                condition=Q(address_status="problem"),
                name="order_address_problems",
            ),
            # Has this shopper had a parcel delivered before? (address risk at intake,
            # fulfillment.risk.services.is_new_customer): by email as `iexact` compares it,
            # or by phone.
            models.Index(
                "merchant",
                Upper("shopper_email"),
                condition=Q(status="delivered"),
                name="order_delivered_email",
            ),
            models.Index(
                fields=["merchant", "shopper_phone"],
                condition=Q(status="delivered"),
                name="order_delivered_phone",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "reference"],
                condition=~Q(reference=""),
                name="order_reference_unique",
            ),
            models.UniqueConstraint(
                fields=["merchant", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="order_idempotency_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(promised_from__isnull=True)
                | Q(promised_until__isnull=True)
                | Q(promised_from__lte=models.F("promised_until")),
                name="order_promised_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.reference or self.pk}"

    @property
    def location(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return (self.latitude, self.longitude)

    @property
    def can_ship(self) -> bool:
        """A label may be printed: no open address problem, and the order is still live."""
        return (
            self.address_status != self.AddressStatus.PROBLEM
            and self.status in self.SHIPPABLE_STATUSES
        )


class OrderLine(MerchantOwned):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("merchant.Product", on_delete=models.PROTECT, related_name="+")
    quantity = models.IntegerField()
    unit_value = models.PositiveBigIntegerField(default=0, help_text="In minor units (cents).")

    class Meta:
        ordering = ["order_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="order_line_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id}"


class Allocation(MerchantOwned):
    """Units of an order line held at one storage point, with why that point was chosen."""

    class State(models.TextChoices):
        RESERVED = "reserved", "Reserved"
        PICKED = "picked", "Picked"
        RELEASED = "released", "Released"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="allocations")
    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="allocations")
    point = models.ForeignKey("merchant.StoragePoint", on_delete=models.PROTECT, related_name="+")
    quantity = models.IntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.RESERVED)
    distance_m = models.PositiveIntegerField(help_text="Geodesic distance point → destination.")
    rank = models.PositiveSmallIntegerField(
        help_text="1 = the nearest of the points that could ship the order."
    )
    why = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["order_id", "pk"]
        indexes = [models.Index(fields=["merchant", "point", "state"], name="allocation_work")]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="allocation_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.line_id} at point {self.point_id}"


class OrderEvent(MerchantOwned):
    """One step of an order's status history (or a note, when from and to are equal)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["order_id", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"
