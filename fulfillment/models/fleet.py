"""The shop's own drivers (#16): drivers and their sign-in links, vehicles, shifts, the own-fleet
delivery service of a hub, route plans (one per hub and wave), routes, stops, and the actions a
driver's phone sends (kept by client id so that an action synced twice is stored once).

Distances in metres, durations in seconds, weights in grams, volumes in millilitres, money in
minor units of the merchant's currency. Positions are WGS84 degrees.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from merchant.models import MerchantOwned

__all__ = [
    "Driver",
    "DriverAction",
    "DriverSignInLink",
    "FleetService",
    "Route",
    "RoutePlan",
    "RouteStop",
    "Shift",
    "Vehicle",
]


class Driver(MerchantOwned):
    """A person who delivers for the merchant. Signs in on the phone with a link, no password."""

    name = models.CharField(max_length=120)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    is_active = models.BooleanField(default=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "email"],
                condition=~Q(email=""),
                name="fleet_driver_email_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""


class DriverSignInLink(MerchantOwned):
    """A one-time sign-in link sent by email or SMS. Only the token's SHA-256 is stored."""

    driver = models.ForeignKey(Driver, on_delete=models.CASCADE, related_name="sign_in_links")
    token_hash = models.CharField(max_length=64, unique=True)
    sent_to = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)


class Vehicle(MerchantOwned):
    class Kind(models.TextChoices):
        CARGO_BIKE = "cargo_bike", "Cargo bike"
        CAR = "car", "Car"
        VAN = "van", "Van"

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.CAR)
    capacity_parcels = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    capacity_g = models.PositiveIntegerField("capacity (g)", validators=[MinValueValidator(1)])
    capacity_ml = models.PositiveBigIntegerField("capacity (ml)", validators=[MinValueValidator(1)])
    # Free-form skill codes, e.g. "age_check", "fragile"; an order needing one only goes to a
    # vehicle (and so a route) that has it.
    skills = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "name"], name="fleet_vehicle_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Shift(MerchantOwned):
    """One driver's working day: where it starts and ends (a hub, or a place such as home)."""

    driver = models.ForeignKey(Driver, on_delete=models.CASCADE, related_name="shifts")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="shifts")
    date = models.DateField()
    starts_at = models.TimeField(help_text="Local time of the start place.")
    ends_at = models.TimeField()
    start_point = models.ForeignKey(
        "merchant.StoragePoint", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    start_latitude = models.FloatField(null=True, blank=True)
    start_longitude = models.FloatField(null=True, blank=True)
    end_point = models.ForeignKey(
        "merchant.StoragePoint", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_latitude = models.FloatField(null=True, blank=True)
    end_longitude = models.FloatField(null=True, blank=True)
    # [{"start": "12:00", "end": "14:00", "minutes": 30}]: a break of that length in that range.
    breaks = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["date", "starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["driver", "date"], name="fleet_shift_one_per_day"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="fleet_shift_ends_after_start"
            ),
        ]


class FleetService(MerchantOwned):
    """Own delivery from one hub: its area, cost model, cut-off and waves. It takes part in rate
    shopping through the courier service it owns (an account of the own-fleet adapter)."""

    class AreaKind(models.TextChoices):
        RADIUS = "radius", "Radius"
        ZIPS = "zips", "ZIP list"
        POLYGON = "polygon", "Polygon"

    hub = models.ForeignKey("merchant.StoragePoint", on_delete=models.CASCADE, related_name="+")
    courier_service = models.OneToOneField(
        "fulfillment.CourierService",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="fleet_service",
    )
    name = models.CharField(max_length=120)
    area_kind = models.CharField(max_length=8, choices=AreaKind.choices, default=AreaKind.RADIUS)
    radius_km = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0.1)])
    zip_codes = models.JSONField(default=list, blank=True)
    polygon = models.JSONField(null=True, blank=True, help_text="GeoJSON Polygon/MultiPolygon.")
    per_hour_minor = models.PositiveIntegerField(default=0)
    per_km_minor = models.PositiveIntegerField(default=0)
    per_stop_minor = models.PositiveIntegerField(default=0)
    service_seconds = models.PositiveIntegerField(
        default=240, help_text="Time at each stop.", validators=[MaxValueValidator(3600)]
    )
    cutoff = models.TimeField(help_text="Orders before this local time go out today.")
    # ["10:00", "15:00"]: departure times of the day's waves, local time of the hub.
    waves = models.JSONField(default=list)
    window_minutes = models.PositiveIntegerField(
        default=120, validators=[MinValueValidator(15), MaxValueValidator(720)]
    )
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "name"], name="fleet_service_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class RoutePlan(MerchantOwned):
    """The plan of one wave of one day, over one or several hubs."""

    class State(models.TextChoices):
        PLANNING = "planning", "Planning"
        READY = "ready", "Ready"
        DISPATCHED = "dispatched", "Dispatched"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    date = models.DateField()
    wave = models.TimeField(null=True, blank=True)
    hubs = models.ManyToManyField("merchant.StoragePoint", related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PLANNING)
    job = models.ForeignKey(
        "merchant.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    matrix_source = models.CharField(max_length=20, blank=True)
    # [{"order_id": 1, "reference": "...", "reason": "..."}]: orders that did not fit.
    unassigned = models.JSONField(default=list, blank=True)
    # {"distance_m", "duration_s", "cost_minor", "routes", "stops", "seconds"}
    summary = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-date", "-created_at"]
        indexes = [models.Index(fields=["merchant", "date"], name="fleet_plan_date")]


class Route(MerchantOwned):
    class State(models.TextChoices):
        PLANNED = "planned", "Planned"
        STARTED = "started", "On the road"
        FINISHED = "finished", "Finished"

    plan = models.ForeignKey(RoutePlan, on_delete=models.CASCADE, related_name="routes")
    driver = models.ForeignKey(Driver, on_delete=models.PROTECT, related_name="routes")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="routes")
    shift = models.ForeignKey(Shift, on_delete=models.SET_NULL, null=True, blank=True)
    hub = models.ForeignKey("merchant.StoragePoint", on_delete=models.PROTECT, related_name="+")
    colour = models.CharField(max_length=7, default="#0f766e")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PLANNED)
    departs_at = models.DateTimeField(null=True, blank=True)
    returns_at = models.DateTimeField(null=True, blank=True)
    distance_m = models.PositiveIntegerField(default=0)
    duration_s = models.PositiveIntegerField(default=0)
    cost_minor = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The newest position the phone sent (history is not kept: the route's stops say the rest).
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    position_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["plan", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "driver"], name="fleet_route_one_per_driver")
        ]


class RouteStop(MerchantOwned):
    class State(models.TextChoices):
        PENDING = "pending", "To deliver"
        DELIVERED = "delivered", "Delivered"
        SAFE_PLACE = "safe_place", "Left in a safe place"
        FAILED = "failed", "Failed"

    class FailureReason(models.TextChoices):
        NOT_HOME = "not_home", "Not at home"
        NO_ACCESS = "no_access", "No access"
        REFUSED = "refused", "Refused"
        ADDRESS_WRONG = "address_wrong", "Address wrong"
        DAMAGED = "damaged", "Damaged"

    class NextStep(models.TextChoices):
        NEXT_WAVE = "next_wave", "Next wave"
        LOCKER = "locker", "To a locker"
        BACK_TO_HUB = "back_to_hub", "Back to the hub"

    plan = models.ForeignKey(RoutePlan, on_delete=models.CASCADE, related_name="stops")
    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="stops")
    sequence = models.PositiveIntegerField()
    order = models.ForeignKey("fulfillment.Order", on_delete=models.PROTECT, related_name="+")
    shipment = models.ForeignKey(
        "fulfillment.Shipment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    latitude = models.FloatField()
    longitude = models.FloatField()
    window_from = models.DateTimeField(null=True, blank=True)
    window_until = models.DateTimeField(null=True, blank=True)
    service_seconds = models.PositiveIntegerField(default=240)
    planned_arrival = models.DateTimeField(null=True, blank=True)
    eta = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    failure_reason = models.CharField(max_length=16, choices=FailureReason.choices, blank=True)
    next_step = models.CharField(max_length=12, choices=NextStep.choices, blank=True)
    recipient_name = models.CharField(max_length=120, blank=True)
    photo = models.FileField(upload_to="fleet-proofs/%Y/%m/", null=True, blank=True)
    signature = models.FileField(upload_to="fleet-proofs/%Y/%m/", null=True, blank=True)
    # [{"code": "zip_centroid", "text": "..."}]: problems to look at before dispatch.
    address_flags = models.JSONField(default=list, blank=True)
    loaded_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["route", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "order"], name="fleet_stop_order_once_a_plan")
        ]
        indexes = [models.Index(fields=["route", "sequence"], name="fleet_stop_route_seq")]


class DriverAction(MerchantOwned):
    """What a phone sent (delivered, failed, loaded, started…), stored once by its client id so an
    action queued offline and sent again is applied once."""

    driver = models.ForeignKey(Driver, on_delete=models.CASCADE, related_name="actions")
    client_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=20)
    stop = models.ForeignKey(
        RouteStop, on_delete=models.CASCADE, null=True, blank=True, related_name="actions"
    )
    payload = models.JSONField(default=dict, blank=True)
    happened_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["driver", "client_id"], name="fleet_action_once_per_client_id"
            )
        ]
