"""Couriers API, mounted at /api/v1/couriers: the accounts (never their credentials), the
rate options for an order, and shipping an order (booked in the background → 202).

Errors are JSON problems: 404 `not_found`, 409 `shipment_exists` / `address_problem`,
422 `invalid` with the field.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from fulfillment.boxes.services.packing import packing_from_api
from fulfillment.couriers.selectors import accounts_overview
from fulfillment.models import CourierAccount
from fulfillment.orders.selectors.orders import get_order_for_merchant
from fulfillment.orders.services.addresses import AddressNeedsAttention
from fulfillment.shipments.services.booking import ShipmentExists, rates_for_order, request_shipment
from merchant.api.fields import Id, InputSchema, LocalTime, QueryId

router = Router(tags=["couriers"])


class CourierProblemOut(Schema):
    status: int
    code: str
    detail: str
    field: str | None = None


def problem(status: int, code: str, detail: str, field: str | None = None) -> Status:
    return Status(status, {"status": status, "code": code, "detail": detail, "field": field})


class ServiceOut(Schema):
    id: int
    level: str
    code: str
    name: str
    transit_hours: int
    pickup_cutoff: LocalTime
    is_active: bool


class AreaOut(Schema):
    id: int
    kind: str
    summary: str
    service_id: int | None


class AccountOut(Schema):
    id: int
    courier: str
    name: str
    credentials_hint: str = Field(..., description="Last characters only; never the secret.")
    base_url: str
    is_active: bool
    last_error: str
    last_error_at: dt.datetime | None
    services: list[ServiceOut]
    areas: list[AreaOut]

    @staticmethod
    def resolve_services(obj: CourierAccount) -> list:
        return list(obj.services.all())

    @staticmethod
    def resolve_areas(obj: CourierAccount) -> list:
        return list(obj.areas.all())


class WindowOut(Schema):
    start: dt.datetime
    end: dt.datetime


class OptionOut(Schema):
    option_id: str
    account_id: int
    account_name: str
    courier: str
    service_id: int
    service_name: str
    level: str
    price_minor: int
    currency: str
    window: WindowOut | None
    eligible: bool
    refusal: str
    keeps_promise: bool
    on_time_rate: float | None
    price_source: str


class RatesOut(Schema):
    order_id: int
    rule: str
    chosen_option_id: str | None
    why: str
    options: list[OptionOut]


class RatesQuery(InputSchema):
    order_id: QueryId


class ShipIn(InputSchema):
    order_id: Id
    option_id: str = Field("rule", description='An option_id from /couriers/rates, or "rule".')
    box_id: Id | None = Field(
        None, description="One of the shop's active boxes; by default the box chosen by fit."
    )
    scale_reading: str | None = Field(
        None,
        max_length=60,
        description='The parcel\'s weight from a scale, e.g. "2.4 lb", "1 lb 6 oz", "1.2 kg" or '
        '"850 g" (a bare number is in the shop\'s main unit); replaces the computed weight.',
    )


class ShipmentAccepted(Schema):
    shipment_id: int
    status: str
    account_id: int
    service_id: int
    price_minor: int
    currency: str
    why: str


@router.get("", response=list[AccountOut], summary="Courier accounts, services and areas")
def list_accounts(request: HttpRequest):
    return list(accounts_overview(request.api_merchant))


@router.get("/rates", response=RatesOut, summary="Every courier option for an order")
def order_rates(request: HttpRequest, query: Query[RatesQuery]):
    order = get_order_for_merchant(request.api_merchant, query.order_id)
    result = rates_for_order(merchant=request.api_merchant, order=order)
    return {
        "order_id": order.pk,
        "rule": result.rule,
        "chosen_option_id": result.chosen.option_id if result.chosen else None,
        "why": result.why,
        "options": [o.__dict__ for o in result.options],
    }


@router.post(
    "/shipments",
    response={202: ShipmentAccepted, 409: CourierProblemOut, 422: CourierProblemOut},
    summary="Ship an order with the rule's choice or a given option (booked in the background)",
)
def create_shipment(request: HttpRequest, payload: ShipIn):
    merchant = request.api_merchant
    order = get_order_for_merchant(merchant, payload.order_id)
    try:
        box, grams = packing_from_api(
            merchant, box_id=payload.box_id, scale_reading=payload.scale_reading
        )
        shipment = request_shipment(
            merchant=merchant,
            order=order,
            option_id=payload.option_id,
            box=box,
            measured_weight_g=grams,
        )
    except ShipmentExists as exc:
        return problem(
            409, "shipment_exists", f"Order already has shipment {exc.shipment.pk}.", "order_id"
        )
    except AddressNeedsAttention as exc:
        return problem(409, exc.code, str(exc), "order_id")
    except ValidationError as exc:
        field = next(iter(exc.message_dict), None) if hasattr(exc, "error_dict") else None
        return problem(422, "invalid", " ".join(exc.messages), field)
    return Status(
        202,
        {
            "shipment_id": shipment.pk,
            "status": shipment.status,
            "account_id": shipment.account_id,
            "service_id": shipment.service_id,
            "price_minor": shipment.price_minor,
            "currency": shipment.currency,
            "why": shipment.why,
        },
    )
