"""Reads for couriers: ownership helpers, the couriers page, and the preloaded rate book."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from fulfillment.couriers.services.accounts import shipping_settings
from fulfillment.couriers.services.rates import (
    CourierRuleEntry,
    Origin,
    RateBook,
    RateInput,
    ServiceEntry,
    area_matcher,
    parcel_for_items,
)
from fulfillment.couriers.services.scorecard import on_time_records
from fulfillment.fleet.services.selectors import fleet_entries
from fulfillment.models import (
    Allocation,
    CourierAccount,
    CourierRule,
    CourierService,
    Order,
    ServiceArea,
    Shipment,
    ShipmentEvent,
)
from fulfillment.orders.services.addresses import pickup_address
from fulfillment.tracking import hooks
from merchant.models import Merchant, get_for_merchant_or_404


def get_account_for_merchant(merchant: Merchant, account_id: object) -> CourierAccount:
    return get_for_merchant_or_404(CourierAccount, merchant, account_id)


def get_service_for_merchant(merchant: Merchant, service_id: object) -> CourierService:
    return get_for_merchant_or_404(CourierService, merchant, service_id)


def get_area_for_merchant(merchant: Merchant, area_id: object) -> ServiceArea:
    return get_for_merchant_or_404(ServiceArea, merchant, area_id)


def accounts_overview(merchant: Merchant) -> QuerySet[CourierAccount]:
    """Accounts with their services and areas (3 queries), for the couriers page."""
    return CourierAccount.objects.for_merchant(merchant).prefetch_related(
        Prefetch("services", queryset=CourierService.objects.order_by("level", "pk")),
        Prefetch("areas", queryset=ServiceArea.objects.select_related("service")),
    )


def rate_book(merchant: Merchant, *, now: dt.datetime | None = None) -> RateBook:
    """Everything rate shopping needs for a merchant, in six queries (three more with an
    own-fleet service: its hubs, the day's shifts, the stops booked per wave)."""
    accounts = list(
        CourierAccount.objects.for_merchant(merchant)
        .filter(is_active=True)
        .prefetch_related(
            Prefetch("services", queryset=CourierService.objects.filter(is_active=True)),
            "areas",
        )
    )
    entries = []
    for account in accounts:
        account_areas = [a for a in account.areas.all() if a.service_id is None]
        for service in account.services.all():
            own = [a for a in account.areas.all() if a.service_id == service.pk]
            entries.append(
                ServiceEntry.from_models(
                    account, service, tuple(area_matcher(a) for a in (own or account_areas))
                )
            )
    rule = shipping_settings(merchant)
    return RateBook(
        merchant_id=merchant.pk,
        time_zone=merchant.time_zone or "UTC",
        currency=merchant.currency,
        services=tuple(entries),
        rule=rule.rule,
        preferred_account_id=rule.preferred_account_id,
        tolerance_pct=rule.tolerance_pct,
        on_time=on_time_records(merchant),
        courier_rules=courier_rule_entries(merchant),
        fleet=fleet_entries(merchant, now or timezone.now()),
    )


def courier_rule_entries(merchant: Merchant) -> tuple[CourierRuleEntry, ...]:
    """The merchant's active courier rules per point and destination, in order."""
    rows = CourierRule.objects.for_merchant(merchant).filter(is_active=True)
    return tuple(
        CourierRuleEntry(
            name=row.name,
            point_id=row.point_id,
            destinations=tuple(row.destinations),
            rule=row.rule,
            preferred_account_id=row.preferred_account_id,
            preferred_service_id=row.preferred_service_id,
            tolerance_pct=row.tolerance_pct,
        )
        for row in rows.order_by("position", "pk")
    )


def rate_input_for_order(order: Order) -> RateInput:
    """Origin (the point holding most of the order's units), destination and parcel."""
    allocations = list(
        Allocation.objects.filter(order=order)
        .exclude(state=Allocation.State.RELEASED)
        .select_related("point")
    )
    units: dict[int, int] = {}
    for allocation in allocations:
        units[allocation.point_id] = units.get(allocation.point_id, 0) + allocation.quantity
    origin = None
    if units:
        point = next(
            a.point for a in allocations if a.point_id == max(units, key=lambda p: (units[p], -p))
        )
        if point.latitude is not None:
            origin = Origin.for_point(point)
    items = [
        (p.weight_g, p.length_mm, p.width_mm, p.height_mm, qty)
        for p, qty in (
            (line.product, line.quantity) for line in order.lines.select_related("product")
        )
    ]
    return RateInput(
        origin=origin,
        latitude=order.latitude,
        longitude=order.longitude,
        zip_code=(order.normalized_postal_code or order.postal_code or "")[:5],
        parcel=parcel_for_items(items),
        service_level=order.service_level,
        promised_until=order.promised_until,
        recipient=courier_recipient(order),
        reference=order.reference or f"order-{order.pk}",
        pickup_name=_pickup_name(order),
    )


def _pickup_name(order: Order) -> str:
    place = hooks.order_pickup_point(order) if order.pickup_location_ref else None
    return place.name if place is not None else ""


def courier_recipient(order: Order) -> dict[str, str]:
    """Where the courier delivers: the shopper's address, or for a locker or shop order the
    place's, care of the shopper (the same address the label's TO block prints)."""
    place = hooks.order_pickup_point(order) if order.pickup_location_ref else None
    if place is not None:
        to = pickup_address(order, place)
        return {
            "name": to.name,
            "street": ", ".join(to.lines),
            "city": to.city or "-",
            "postal_code": to.postal_code,
            "country": to.country,
        }
    # A home order, or a pickup place no longer in the merchant's network: rate shopping falls
    # back to the shopper's address rather than failing (the label refuses to print for a
    # vanished place: labels.recipient_address says so and names the field).
    return {
        "name": order.shopper_name,
        "street": order.line1,
        "city": order.normalized_city or order.city or "-",
        "postal_code": order.normalized_postal_code or order.postal_code,
        "country": order.country,
    }


def shipment_for_order(order: Order) -> Shipment | None:
    return (
        # The outbound shipment; a return (shipments/services/returns.py) has its own panel.
        Shipment.objects.filter(order=order, merchant_id=order.merchant_id, is_return=False)
        .select_related("account", "service")
        .first()
    )


def driver_parcels(account: CourierAccount, day: dt.date) -> list[Shipment]:
    """A manual courier's parcels for the day: every open one, and those delivered that day."""
    tz = zoneinfo.ZoneInfo(account.merchant.time_zone or "UTC")
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    done = ("delivered", "returned", "expired")
    return list(
        Shipment.objects.filter(account=account, merchant_id=account.merchant_id)
        .exclude(tracking_number="")
        .filter(~Q(status__in=done) | Q(delivered_at__gte=start))
        .select_related("order")
        .order_by("created_at", "pk")[:200]
    )


def shipment_events(shipment: Shipment) -> QuerySet[ShipmentEvent]:
    return ShipmentEvent.objects.filter(shipment=shipment).order_by("occurred_at", "pk")
