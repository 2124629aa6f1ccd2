"""Shipments booked with a courier for an order, and their normalised tracking events."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from fulfillment.couriers.adapters.types import TrackingStatus
from fulfillment.models.tokens import new_public_token
from merchant.models import MerchantOwned

STATUS_CHOICES = [(s.value, s.value.replace("_", " ").capitalize()) for s in TrackingStatus]


class EtaSource(models.TextChoices):
    NONE = "", "No estimate"
    COURIER = "courier", "Courier's estimate"
    HISTORY = "history", "Predicted from our history"


class LabelSource(models.TextChoices):
    NONE = "", "No label stored"
    COURIER = "courier", "The courier's label"
    NEARBOX = "nearbox", "Rendered by Nearbox"


class RefundState(models.TextChoices):
    NONE = "", "No refund"
    REQUESTED = "requested", "Refund asked of the courier"
    NOT_CHARGED = "not_charged", "Nothing was charged"
    CALL_COURIER = "call", "Ask the courier for it"


class Shipment(MerchantOwned):
    class ChosenBy(models.TextChoices):
        RULE = "rule", "The merchant's rule"
        STAFF = "staff", "Staff override"

    order = models.ForeignKey("fulfillment.Order", on_delete=models.PROTECT, related_name="+")
    # No index of its own: shipment_scorecard (account, service, status) starts with it, and
    # every index is rewritten when tracking moves a shipment's state.
    account = models.ForeignKey(
        "fulfillment.CourierAccount",
        on_delete=models.PROTECT,
        related_name="shipments",
        db_index=False,
    )
    service = models.ForeignKey(
        "fulfillment.CourierService", on_delete=models.PROTECT, related_name="shipments"
    )
    tracking_number = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=24, choices=STATUS_CHOICES, default=TrackingStatus.PENDING.value
    )
    label = models.FileField(upload_to="labels/%Y/%m/", null=True, blank=True)
    # A label stored at booking (book_shipment) is the courier's; ours are marked "nearbox"
    # with the size they were rendered at, so that a request for another size re-renders.
    label_source = models.CharField(max_length=8, choices=LabelSource.choices, blank=True)
    label_size = models.CharField(max_length=4, blank=True)
    # A return parcel (shopper -> storage point) of `order`; one per order (idempotency key).
    is_return = models.BooleanField(default=False)
    idempotency_key = models.CharField(max_length=100, unique=True)
    price_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    promised_from = models.DateTimeField(null=True, blank=True)
    promised_until = models.DateTimeField(null=True, blank=True)
    chosen_by = models.CharField(max_length=6, choices=ChosenBy.choices, default=ChosenBy.RULE)
    why = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    booked_at = models.DateTimeField(null=True, blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # The courier's own id for this booking where it is not the tracking number (an on-demand
    # courier's job id, used to cancel it and to match its webhooks).
    courier_reference = models.CharField(max_length=100, blank=True)
    # Tracking (fulfillment/tracking): the shopper's link, polling schedule, state, ETA.
    public_token = models.CharField(max_length=64, unique=True, default=new_public_token)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    # The courier pushes this parcel's events until then (UPS Track Alert): not polled meanwhile.
    push_subscribed_until = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=64, blank=True)
    status_text = models.CharField(max_length=300, blank=True)
    poll_failures = models.PositiveSmallIntegerField(default=0)
    is_stuck = models.BooleanField(default=False)
    eta_from = models.DateTimeField(null=True, blank=True)
    eta_until = models.DateTimeField(null=True, blank=True)
    eta_confidence = models.FloatField(null=True, blank=True)
    eta_source = models.CharField(max_length=8, choices=EtaSource.choices, blank=True)
    exception_handled_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    reship_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reships"
    )
    # Void (fulfillment/shipments/services/voiding.py): the label was given back before hand-over.
    voided_at = models.DateTimeField(null=True, blank=True)
    # No database constraint or index on this FK and on `box` (hot table: adding either would
    # lock fulfillment_shipment while it is checked or built); Django's SET_NULL does the job,
    # and users and box presets are rarely deleted (boxes are deactivated).
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    refund_state = models.CharField(max_length=12, choices=RefundState.choices, blank=True)
    refund_minor = models.PositiveIntegerField(null=True, blank=True)
    # Boxes (fulfillment/boxes): the box packed, the scale's reading if one was typed, and the
    # weight the courier was told (the reading, else the items plus the box's empty weight).
    box = models.ForeignKey(
        "fulfillment.BoxPreset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    measured_weight_g = models.PositiveIntegerField(null=True, blank=True)
    weight_g = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["merchant", "account", "-created_at"], name="shipment_by_account"),
            models.Index(fields=["account", "service", "status"], name="shipment_scorecard"),
            models.Index(
                fields=["next_poll_at"],
                condition=Q(next_poll_at__isnull=False),
                name="shipment_poll_due",
            ),
            models.Index(fields=["merchant", "status", "-created_at"], name="shipment_by_status"),
            # Booked shipments that tracking has not scheduled yet (the planner adopts them).
            models.Index(
                fields=["booked_at"],
                condition=Q(next_poll_at__isnull=True, last_polled_at__isnull=True, is_stuck=False),
                name="shipment_unscheduled",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "tracking_number"],
                condition=~Q(tracking_number=""),
                name="shipment_tracking_number_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Shipment {self.tracking_number or self.pk}"

    @property
    def tracking_status(self) -> TrackingStatus:
        return TrackingStatus(self.status)

    @property
    def is_booked(self) -> bool:
        return bool(self.tracking_number)

    @property
    def has_courier_label(self) -> bool:
        # Booking stores the courier's file without marking it; only ours carry "nearbox".
        return bool(self.label) and self.label_source != LabelSource.NEARBOX

    @property
    def courier_label_format(self) -> str:
        return self.label.name.rsplit(".", 1)[-1].lower() if self.has_courier_label else ""


# The events the analytics rollups count (failed attempts, exceptions, ready for pickup): about
# one in ten. A partial index on them lets the fold read a few hundred shipments' counted events
# without visiting every event of theirs (fulfillment/analytics/services/rollups.py).
COUNTED_EVENT_STATUSES = ("failed_attempt", "exception", "available_for_pickup")


class ShipmentEvent(MerchantOwned):
    """One normalised tracking event; the same courier event is stored once."""

    class Source(models.TextChoices):
        COURIER = "courier", "Courier API"
        DRIVER = "driver", "Driver link"
        WEBHOOK = "webhook", "Webhook"
        NEARBOX = "nearbox", "Nearbox"

    # Indexed by shipment_event_unique (shipment, event_id); a second index only slows inserts.
    shipment = models.ForeignKey(
        Shipment, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    event_id = models.CharField(max_length=100)
    status = models.CharField(max_length=24, choices=STATUS_CHOICES)
    occurred_at = models.DateTimeField()
    courier_code = models.CharField(max_length=64, blank=True)
    courier_description = models.CharField(max_length=300, blank=True)
    location = models.CharField(max_length=200, blank=True)
    reason_code = models.CharField(max_length=64, blank=True)
    proof = models.FileField(upload_to="proofs/%Y/%m/", null=True, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    # A default, not auto_now_add: ingest stores the batch's own `now` on both database paths.
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["shipment_id", "occurred_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "event_id"], name="shipment_event_unique"),
        ]
        indexes = [
            # The retention task's thinning (fulfillment/housekeeping), oldest first.
            models.Index(fields=["created_at"], name="shipment_event_age"),
            models.Index(
                fields=["shipment"],
                condition=models.Q(status__in=COUNTED_EVENT_STATUSES),
                name="shipment_event_counted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.status} at {self.occurred_at:%Y-%m-%d %H:%M}"
