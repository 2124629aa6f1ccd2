"""Every URL that takes an object id answers 404 for another merchant's object.

The sweep walks the URL resolver, so a route added later is covered without anyone
remembering to: a route whose id parameter has no factory below fails the sweep until one is
added to OBJECT_FACTORIES (or the parameter is listed, with a reason, in NOT_OBJECT_IDS).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from fulfillment.models import (
    BoxPreset,
    CheckoutRule,
    CourierAccount,
    CourierRule,
    LabelBatch,
    Order,
    Shipment,
    ShipmentEvent,
    ShipRun,
)
from fulfillment.models.returns import ReturnRequest
from lockers.parcels import Parcel
from lockers.services.reservations import reserve_compartment
from merchant.models import (
    ApiKey,
    Job,
    Membership,
    Merchant,
    PlacementPlan,
    Product,
    StoragePoint,
    Transfer,
    User,
)
from merchant.services.merchants import NewMerchant
from merchant.services.stock import receive_stock
from merchant.services.transfers import create_transfer
from tests.factories.couriers import TENANT_FACTORIES as COURIER_FACTORIES
from tests.factories.couriers import make_shipment
from tests.factories.integrations import TENANT_FACTORIES as INTEGRATION_FACTORIES
from tests.factories.lockers import make_bank, make_shop
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import make_order
from tests.fulfillment.capacity.factories import TENANT_FACTORIES as CAPACITY_FACTORIES
from tests.fulfillment.fleet.admin.factories import TENANT_FACTORIES as FLEET_FACTORIES
from tests.fulfillment.fleet.driver.factories import TENANT_FACTORIES as DRIVER_APP_FACTORIES
from tests.fulfillment.fleet.driver.factories import sign_in_driver_of
from tests.fulfillment.fleet.plans.factories import TENANT_FACTORIES as FLEET_PLAN_FACTORIES
from tests.fulfillment.returns.factories import make_return


def make_transfer(merchant: Merchant) -> Transfer:
    source, destination, product = (
        make_point(merchant),
        make_point(merchant),
        make_product(merchant),
    )
    receive_stock(merchant=merchant, product=product, point=source, quantity=5)
    return create_transfer(
        merchant=merchant, from_point=source, to_point=destination, lines=[(product, 2)]
    )


def make_proof_event(merchant: Merchant) -> ShipmentEvent:
    shipment = make_shipment(merchant)
    return ShipmentEvent.objects.create(
        merchant=merchant,
        shipment=shipment,
        event_id=f"proof-{shipment.pk}",
        status="delivered",
        occurred_at=timezone.now(),
        source="driver",
        proof=ContentFile(b"\x89PNG\r\n\x1a\n", name="door.png"),
    )


# parameter name -> makes an object of that kind for a merchant and returns its id
OBJECT_FACTORIES: dict[str, Callable[[NewMerchant], int]] = {
    "job_id": lambda new: (
        Job.objects.create(
            merchant=new.merchant, kind="tests.count", title="B's job", state=Job.State.FAILED
        ).pk
    ),
    "member_id": lambda new: (
        Membership.objects.create(
            merchant=new.merchant,
            role=Membership.Role.OWNER,
            user=User.objects.create_user(f"staff-{new.merchant.pk}@example.com", "x"),
        ).pk
    ),
    "key_id": lambda new: new.secret_key.api_key.pk,
    "point_id": lambda new: make_point(new.merchant).pk,
    "product_id": lambda new: make_product(new.merchant).pk,
    "transfer_id": lambda new: make_transfer(new.merchant).pk,
    "plan_id": lambda new: PlacementPlan.objects.create(merchant=new.merchant).pk,
    "order_id": lambda new: make_order(new.merchant).pk,
    **COURIER_FACTORIES,
    "bank_id": lambda new: make_bank(new.merchant).pk,
    "shop_id": lambda new: make_shop(new.merchant).pk,
    "compartment_id": lambda new: make_bank(new.merchant).compartments.first().pk,
    "reservation_id": lambda new: (
        reserve_compartment(bank=make_bank(new.merchant), parcel=Parcel(500, 300, 200, 50)).pk
    ),
    "event_id": lambda new: make_proof_event(new.merchant).pk,
    "batch_id": lambda new: (
        LabelBatch.objects.create(merchant=new.merchant, key="b", size="4x6", title="B's").pk
    ),
    "checkout_rule_id": lambda new: (
        CheckoutRule.objects.create(merchant=new.merchant, name="B's", action="hide").pk
    ),
    "courier_rule_id": lambda new: CourierRule.objects.create(merchant=new.merchant, name="B's").pk,
    **INTEGRATION_FACTORIES,
    **FLEET_FACTORIES,
    **FLEET_PLAN_FACTORIES,
    **DRIVER_APP_FACTORIES,
    **CAPACITY_FACTORIES,
    "return_id": lambda new: make_return(new.merchant).pk,
    "run_id": lambda new: ShipRun.objects.create(merchant=new.merchant, description="B's").pk,
    "box_id": lambda new: (
        BoxPreset.objects.create(
            merchant=new.merchant,
            name="B's box",
            inner_length_mm=300,
            inner_width_mm=200,
            inner_height_mm=100,
        ).pk
    ),
}
# parameters that are not ids of a merchant's objects
NOT_OBJECT_IDS = {
    "slug": "a dashboard area name, the same for every merchant",
    "uidb64": "password reset: signed with a token",
    "token": "password reset: signed with a token",
    "path": "static and media files",
    "platform": "a shop platform's name (shopify, woocommerce, saleor), the same for everyone",
    "event": "a shopper message's event (shipped, delivered…), the same for everyone",
    "channel": "a shopper message's channel (email, sms), the same for everyone",
    "language": "a shopper message's language (en, es, de), the same for everyone",
}
# API routes whose only method takes a required JSON body: the body is well formed, so that
# what answers is the lookup of the object in the path (an empty body is refused before it).
JSON_BODIES = {
    "api/v1/orders/<order_id>/tags": {"tags": ["gift"]},
    "api/v1/fleet/plans/<int:route_plan_id>/moves": {"stop_id": 1, "route_id": 1, "position": 1},
    "api/v1/shipments/<shipment_id>/redirect": {"place": "locker:1"},
    "api/v1/shipments/<shipment_id>/reschedule": {"day": "2030-01-02"},
}
SKIPPED_NAMESPACES = {"admin": "the Django admin is for the operators of Nearbox, not merchants"}
PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    template: str
    params: tuple[str, ...]
    is_api: bool


def walk(patterns, prefix: str = "", namespace: str | None = None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            yield from walk(
                entry.url_patterns, prefix + str(entry.pattern), entry.namespace or namespace
            )
        elif isinstance(entry, URLPattern):
            template = prefix + str(entry.pattern)
            params = tuple(m.group("name") for m in PARAM.finditer(template))
            if params:
                yield Route(template, params, is_api=template.startswith("api/"))


ALL_ROUTES = sorted(set(walk(get_resolver().url_patterns)), key=lambda r: r.template)
ROUTES = [r for r in ALL_ROUTES if any(p not in NOT_OBJECT_IDS for p in r.params)]


def test_the_sweep_sees_the_routes_it_is_meant_to_cover():
    templates = {route.template for route in ROUTES}
    assert "app/jobs/<int:job_id>/" in templates
    assert "app/area/<slug:slug>/" not in templates  # no object id: nothing to leak
    assert any(route.is_api and "job_id" in route.params for route in ROUTES)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.template)
@pytest.mark.django_db
def test_another_merchants_object_answers_404(route: Route, merchant_a, merchant_b):
    object_params = [p for p in route.params if p not in NOT_OBJECT_IDS]
    missing = [p for p in object_params if p not in OBJECT_FACTORIES]
    assert not missing, f"{route.template}: add a factory for {missing} to OBJECT_FACTORIES"

    ids = {p: OBJECT_FACTORIES[p](merchant_b) for p in object_params}
    url = "/" + PARAM.sub(lambda m: str(ids.get(m.group("name"), "x")), route.template)
    before = snapshot()
    if route.is_api:
        client = Client(headers={"Authorization": f"Bearer {merchant_a.secret_key.raw}"})
    else:
        client = Client()
        client.force_login(merchant_a.owner)
        if route.template.startswith("driver/"):  # the driver app: a driver of merchant A too
            sign_in_driver_of(client, merchant_a.merchant)

    body = JSON_BODIES.get(route.template)
    extra = {"data": body, "content_type": "application/json"} if body is not None else {}
    statuses = {
        m: getattr(client, m)(url, **extra).status_code
        for m in ("get", "post", "put", "patch", "delete")
    }
    assert 404 in statuses.values(), f"{url}: {statuses}"
    assert set(statuses.values()) <= {404, 405}, f"{url}: {statuses}"
    assert snapshot() == before, f"{url} changed merchant B's data"


def snapshot() -> tuple:
    return (
        list(Job.objects.values_list("pk", "state", "attempts").order_by("pk")),
        list(Membership.objects.values_list("pk", "role").order_by("pk")),
        list(ApiKey.objects.values_list("pk", "revoked_at").order_by("pk")),
        list(Merchant.objects.values_list("pk", "name").order_by("pk")),
        list(StoragePoint.objects.values_list("pk", "name", "is_active").order_by("pk")),
        list(Product.objects.values_list("pk", "sku", "is_active").order_by("pk")),
        list(Transfer.objects.values_list("pk", "status").order_by("pk")),
        list(PlacementPlan.objects.values_list("pk", "status").order_by("pk")),
        list(Order.objects.values_list("pk", "status").order_by("pk")),
        list(Shipment.objects.values_list("pk", "status", "tracking_number").order_by("pk")),
        list(CourierAccount.objects.values_list("pk", "name", "is_active").order_by("pk")),
        list(ReturnRequest.objects.values_list("pk", "state", "note").order_by("pk")),
    )
