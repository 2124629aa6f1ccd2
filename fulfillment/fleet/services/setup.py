"""Saving an own-fleet service: the FleetService, and its mirror for rate shopping (an
`own_fleet` courier account with one same-day CourierService and its service area)."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from fulfillment.couriers.adapters.own_fleet import CODE
from fulfillment.couriers.services.accounts import clean_polygon, clean_zip_codes
from fulfillment.fleet.services.selectors import speed_kmh
from fulfillment.models import CourierAccount, CourierService, FleetService, ServiceArea
from merchant.models import Merchant, StoragePoint

WAVE = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")
MAX_WAVES = 12
MAX_MINOR = 1_000_000  # 10 000.00 a unit: beyond any real rate


def clean_waves(value: Any) -> list[str]:
    """["10:00", "15:00"] from that list or "10:00, 15:00"; sorted, each once."""
    items = re.split(r"[\s,;]+", value) if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValidationError({"waves": "Give the waves as times, e.g. 10:00, 15:00."})
    waves = []
    for item in items:
        text = str(item).strip() if isinstance(item, str) else ""
        if not text and isinstance(item, str):
            continue
        if not WAVE.match(text):
            raise ValidationError({"waves": f"“{str(item)[:12]}” is not a time like 15:00."})
        waves.append(f"{int(text.split(':')[0]):02d}:{text.split(':')[1]}")
    waves = sorted(set(waves))
    if not waves:
        raise ValidationError({"waves": "Give at least one wave, e.g. 10:00, 15:00."})
    if len(waves) > MAX_WAVES:
        raise ValidationError({"waves": f"At most {MAX_WAVES} waves a day."})
    return waves


def _money(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MINOR:
        raise ValidationError({field: f"An amount in cents between 0 and {MAX_MINOR:,}."})
    return value


def _card_per_km(service: FleetService) -> int:
    """The rate card's per km (what the plain rate card would charge): circuity × (per km +
    per hour / speed). Rate shopping prices own delivery exactly from the FleetService."""
    circuity = float(getattr(settings, "NEARBOX_FLEET_CIRCUITY", 1.3))
    per_km = service.per_km_minor + service.per_hour_minor / speed_kmh("car")
    return math.floor(circuity * per_km + 0.5)


def _account_name(merchant: Merchant, service: FleetService, account: CourierAccount | None) -> str:
    name = f"Own drivers · {service.name}"[:120]
    clash = CourierAccount.objects.for_merchant(merchant).filter(name=name)
    if account is not None:
        clash = clash.exclude(pk=account.pk)
    return f"{name[:100]} #{service.pk}" if clash.exists() else name


def _mirror(merchant: Merchant, service: FleetService) -> CourierService:
    courier_service = service.courier_service
    account = courier_service.account if courier_service else None
    if account is None:
        account = CourierAccount(merchant=merchant, courier=CODE, currency=merchant.currency)
    account.name = _account_name(merchant, service, account if account.pk else None)
    account.is_active = service.is_active
    account.save()
    courier_service = courier_service or CourierService(
        merchant=merchant, account=account, code=f"own-fleet-{service.pk}"
    )
    courier_service.level = CourierService.Level.SAME_DAY
    courier_service.name = f"Own driver from {service.hub.name}"[:120]
    courier_service.transit_hours = max(1, math.ceil(service.window_minutes / 60))
    courier_service.pickup_cutoff = service.cutoff
    courier_service.base_minor = service.per_stop_minor
    courier_service.per_km_minor = _card_per_km(service)
    courier_service.is_active = service.is_active
    courier_service.save()
    ServiceArea.objects.filter(account=account).delete()
    area = {"kind": ServiceArea.Kind.POLYGON, "polygon": service.polygon}
    if service.area_kind == FleetService.AreaKind.RADIUS:
        area = {
            "kind": ServiceArea.Kind.RADIUS,
            "center_latitude": service.hub.latitude,
            "center_longitude": service.hub.longitude,
            "radius_km": service.radius_km,
        }
    elif service.area_kind == FleetService.AreaKind.ZIPS:
        area = {"kind": ServiceArea.Kind.ZIP, "zip_codes": service.zip_codes}
    ServiceArea.objects.create(
        merchant=merchant, account=account, service=courier_service, name=service.name, **area
    )
    return courier_service


def save_fleet_service(
    *,
    merchant: Merchant,
    fleet_service: FleetService | None = None,
    hub: StoragePoint,
    name: str,
    area_kind: str,
    radius_km: float | None = None,
    zip_codes: Any = (),
    polygon: Any = None,
    per_hour_minor: int = 0,
    per_km_minor: int = 0,
    per_stop_minor: int = 0,
    service_seconds: int = 240,
    cutoff: dt.time,
    waves: Any,
    window_minutes: int = 120,
    is_active: bool = True,
) -> FleetService:
    """Add or change an own-fleet service and its courier-service mirror, in one transaction."""
    if hub.merchant_id != merchant.pk or hub.latitude is None or not hub.is_active:
        raise ValidationError({"hub": "Choose one of your active storage points with a location."})
    name = (name or "").strip()
    if not name or "\x00" in name or len(name) > 120:
        raise ValidationError({"name": "Enter a name of at most 120 characters."})
    if area_kind not in FleetService.AreaKind.values:
        raise ValidationError({"area_kind": "Choose radius, ZIP list or polygon."})
    fields: dict[str, Any] = {"radius_km": None, "zip_codes": [], "polygon": None}
    if area_kind == FleetService.AreaKind.RADIUS:
        if isinstance(radius_km, bool) or not isinstance(radius_km, int | float):
            raise ValidationError({"radius_km": "Give the radius in km."})
        if not 0.1 <= radius_km <= 200 or math.isnan(radius_km):
            raise ValidationError({"radius_km": "A radius between 0.1 and 200 km."})
        fields["radius_km"] = float(radius_km)
    elif area_kind == FleetService.AreaKind.ZIPS:
        fields["zip_codes"] = clean_zip_codes(zip_codes)
    else:
        fields["polygon"] = clean_polygon(polygon)
    seconds = service_seconds
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds <= 3600:
        raise ValidationError({"service_seconds": "Seconds at a stop, 0 to 3600."})
    window = window_minutes
    if isinstance(window, bool) or not isinstance(window, int) or not 15 <= window <= 720:
        raise ValidationError({"window_minutes": "A window of 15 to 720 minutes."})
    wave_list = clean_waves(waves)
    if not isinstance(cutoff, dt.time):
        raise ValidationError({"cutoff": "Give the cut-off as a time, e.g. 13:00."})
    if all(dt.time.fromisoformat(w) <= cutoff for w in wave_list):
        raise ValidationError({"waves": "At least one wave must leave after the cut-off."})
    service = fleet_service or FleetService(merchant=merchant)
    service.hub, service.name, service.area_kind = hub, name, area_kind
    for key, value in fields.items():
        setattr(service, key, value)
    service.per_hour_minor = _money(per_hour_minor, "per_hour_minor")
    service.per_km_minor = _money(per_km_minor, "per_km_minor")
    service.per_stop_minor = _money(per_stop_minor, "per_stop_minor")
    service.service_seconds, service.window_minutes = seconds, window
    service.cutoff, service.waves, service.is_active = cutoff, wave_list, bool(is_active)
    try:
        with transaction.atomic():
            service.save()
            courier_service = _mirror(merchant, service)
            if service.courier_service_id != courier_service.pk:
                service.courier_service = courier_service
                service.save(update_fields=["courier_service"])
    except IntegrityError:
        raise ValidationError(
            {"name": "Another own-fleet service of this shop has this name."}
        ) from None
    return service


def delete_fleet_service(*, fleet_service: FleetService) -> None:
    """Retire it: inactive, and its courier service too (booked shipments keep their rows)."""
    with transaction.atomic():
        fleet_service.is_active = False
        fleet_service.save(update_fields=["is_active", "updated_at"])
        if fleet_service.courier_service_id:
            CourierService.objects.filter(pk=fleet_service.courier_service_id).update(
                is_active=False
            )
            CourierAccount.objects.filter(services=fleet_service.courier_service_id).update(
                is_active=False
            )
