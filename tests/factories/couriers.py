"""Factories for courier tests (and the tenant-isolation sweep): accounts with services and
areas, shipments. Their own test is
tests/fulfillment/couriers/test_factories.py."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from fulfillment.couriers.services.accounts import create_account, create_area, create_service
from fulfillment.models import CourierAccount, CourierService, Order, ServiceArea, Shipment
from merchant.models import Merchant
from tests.factories.orders import make_order

_seq = itertools.count(1)
LOOP = (41.8837, -87.6289)


def make_account(
    merchant: Merchant, *, courier: str = "manual", area: bool = True, **fields: Any
) -> CourierAccount:
    fields.setdefault("name", f"Courier {next(_seq)}")
    account = create_account(merchant=merchant, courier=courier, **fields)
    if area:
        create_area(
            account=account,
            kind="radius",
            center_latitude=LOOP[0],
            center_longitude=LOOP[1],
            radius_km=50,
        )
    return account


def make_service(account: CourierAccount, **fields: Any) -> CourierService:
    n = next(_seq)
    values = dict(
        level="next_day",
        code=f"svc-{n}",
        name=f"Service {n}",
        transit_hours=24,
        pickup_cutoff=dt.time(23, 59),
        base_minor=500,
    )
    values.update(fields)
    return create_service(account=account, **values)


def make_area(merchant: Merchant) -> ServiceArea:
    account = make_account(merchant, area=False)
    return create_area(account=account, kind="zip", zip_codes="60614")


def make_shipment(merchant: Merchant, *, order: Order | None = None, **fields: Any) -> Shipment:
    order = order or make_order(merchant)
    service = make_service(make_account(merchant))
    values = dict(
        tracking_number=f"NBXTEST{next(_seq):05d}",
        price_minor=500,
        currency="USD",
        status="info_received",
        booked_at=order.created_at,
    )
    values.update(fields)
    return Shipment.objects.create(
        merchant=merchant,
        order=order,
        account=service.account,
        service=service,
        idempotency_key=f"test-{order.pk}-{next(_seq)}",
        **values,
    )


# For tests/test_tenant_isolation.py OBJECT_FACTORIES:
TENANT_FACTORIES = {
    "account_id": lambda new: make_account(new.merchant).pk,
    "service_id": lambda new: make_service(make_account(new.merchant)).pk,
    "area_id": lambda new: make_area(new.merchant).pk,
    "shipment_id": lambda new: make_shipment(new.merchant).pk,
}
