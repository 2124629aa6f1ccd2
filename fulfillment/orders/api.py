"""Orders API: intake with idempotency, list, detail, cancel. Mounted at /api/v1/orders.

Every error is a JSON problem {status, code, detail, field}: 422 `invalid` (field named, like
`lines[2].sku`, with every bad field in `errors`), 409 `idempotency_conflict`,
`duplicate_reference`, `out_of_stock`, `service_not_available`, `transition_not_allowed`,
503 `geocoder_unavailable`.
"""

import datetime as dt
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.pagination import paginate

from fulfillment.desk.services.tags import order_tags, set_order_tags
from fulfillment.models import Order
from fulfillment.orders.selectors.orders import get_order_for_merchant, order_detail, order_list
from fulfillment.orders.services.orders import (
    DuplicateReference,
    IdempotencyConflict,
    TransitionNotAllowed,
    cancel_order,
    create_order,
)
from fulfillment.orders.services.routing import Unroutable
from merchant.api.fields import InputSchema, Int32, Money, Page, QueryId, Text
from merchant.services.geocoding import GeocoderUnavailable

router = Router(tags=["orders"])

DeliveryKind = Literal["home", "locker", "pickup_shop"]
ServiceLevel = Literal["same_day", "next_day", "economy"]
StatusName = Literal[
    "received",
    "allocated",
    "picked",
    "packed",
    "handed_over",
    "at_pickup",
    "delivered",
    "cancelled",
    "returned",
]


# --- input --------------------------------------------------------------------------------


class ShopperIn(InputSchema):
    name: str
    email: str = ""
    phone: str = ""
    language: str = Field(
        "", description="Language of the shopper's messages: en, es or de (es-MX reads as es); "
        "blank or another: English."
    )  # fmt: skip


class DestinationIn(InputSchema):
    line1: str = Field("", description="Street and number; required for home delivery.")
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = Field(..., description="US: 5 digits or ZIP+4.")
    country: str = "US"
    latitude: float | None = Field(None, description="Optional pin from the shop.")
    longitude: float | None = None


class DeliveryIn(InputSchema):
    kind: DeliveryKind = "home"
    service_level: ServiceLevel = "next_day"
    service: str = Field("", description="Courier service code chosen at checkout.")
    pickup_location_ref: str = Field("", description="Locker or pickup shop (not home).")


class DeliveryWithHoldIn(DeliveryIn):
    reservation_token: str = Field(
        "",
        description="The `token` of POST /api/v1/reservations (locker only): the order confirms "
        "that hold; an expired or already used hold answers 422 on this field.",
    )


class LineIn(InputSchema):
    sku: str
    quantity: Int32


class OrderIn(InputSchema):
    reference: str = Field("", description="The shop's order number; unique per merchant.")
    shopper: ShopperIn
    destination: DestinationIn
    delivery: DeliveryWithHoldIn = Field(default_factory=DeliveryWithHoldIn)
    promised_from: dt.datetime | None = None
    promised_until: dt.datetime | None = None
    value: Money | None = Field(None, description="Minor units; default: sum of product values.")
    currency: str | None = Field(None, description="ISO 4217; default: the merchant's.")
    lines: list[LineIn]


class TagsIn(InputSchema):
    tags: list[Annotated[str, Field(max_length=40)]] = Field(
        ..., max_length=20, description="The order's tags; replaces the ones it has."
    )


class OrderFilters(InputSchema):
    status: StatusName | None = None
    created_after: dt.datetime | None = None


# --- output -------------------------------------------------------------------------------


class OrderProblemOut(Schema):
    status: int
    code: str
    detail: str
    field: str | None = None
    errors: dict[str, list[str]] | None = Field(None, description="Every bad field (422).")


class AddressProblemOut(Schema):
    code: str
    field: str
    message: str


class AllocationOut(Schema):
    id: int
    point_id: int
    point_name: str
    quantity: int
    state: str
    distance_m: int
    rank: int
    why: str

    @staticmethod
    def resolve_point_name(obj) -> str:
        return obj.point.name


class LineOut(Schema):
    id: int
    product_id: int
    sku: str
    quantity: int
    unit_value: int
    allocations: list[AllocationOut]

    @staticmethod
    def resolve_sku(obj) -> str:
        return obj.product.sku

    @staticmethod
    def resolve_allocations(obj) -> list:
        return list(obj.allocations.all())


class OrderEventOut(Schema):
    from_status: str
    to_status: str
    at: dt.datetime
    by: str | None
    note: str

    @staticmethod
    def resolve_by(obj) -> str | None:
        return obj.by.email if obj.by_id else None


class OrderSummaryOut(Schema):
    id: int
    reference: str
    status: str
    address_status: str
    can_ship: bool
    service_level: str
    delivery_kind: str
    shopper_name: str
    postal_code: str
    value: int
    currency: str
    created_at: dt.datetime

    @staticmethod
    def resolve_postal_code(obj) -> str:
        return obj.normalized_postal_code or obj.postal_code


class DestinationOut(Schema):
    line1: str
    line2: str
    city: str
    state: str
    postal_code: str
    country: str
    normalized_postal_code: str
    normalized_city: str
    normalized_state: str
    normalized_address: str
    latitude: float | None
    longitude: float | None
    coordinates_source: str


class OrderOut(OrderSummaryOut):
    shopper: ShopperIn
    destination: DestinationOut
    delivery: DeliveryIn
    promised_from: dt.datetime | None
    promised_until: dt.datetime | None
    address_problems: list[AddressProblemOut]
    routing: dict
    lines: list[LineOut]
    events: list[OrderEventOut]
    tags: list[str] = Field(description="Staff's tags (lowercase), for filters and ship runs.")

    @staticmethod
    def resolve_tags(obj) -> list[str]:
        return order_tags(obj)

    @staticmethod
    def resolve_shopper(obj) -> dict:
        return {"name": obj.shopper_name, "email": obj.shopper_email, "phone": obj.shopper_phone}

    @staticmethod
    def resolve_destination(obj) -> Order:
        return obj

    @staticmethod
    def resolve_delivery(obj) -> dict:
        return {
            "kind": obj.delivery_kind,
            "service_level": obj.service_level,
            "service": obj.delivery_service,
            "pickup_location_ref": obj.pickup_location_ref,
        }

    @staticmethod
    def resolve_lines(obj) -> list:
        return list(obj.lines.all())

    @staticmethod
    def resolve_events(obj) -> list:
        return list(obj.events.all())


# --- endpoints ----------------------------------------------------------------------------


def problem(status: int, code: str, detail: str, field: str | None = None, **extra) -> Status:
    body = {"status": status, "code": code, "detail": detail, "field": field, **extra}
    return Status(status, body)


def invalid(error: ValidationError) -> Status:
    if not hasattr(error, "error_dict"):
        return problem(422, "invalid", " ".join(error.messages))
    errors = error.message_dict
    detail = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
    return problem(422, "invalid", detail, field=next(iter(errors)), errors=errors)


@router.post(
    "",
    response={
        200: OrderOut,
        201: OrderOut,
        409: OrderProblemOut,
        422: OrderProblemOut,
        503: OrderProblemOut,
    },
    summary="Create an order (routed and reserved at once)",
    description="Send an `Idempotency-Key` header (any unique string, ≤ 255 characters) so that "
    "a retried request returns the first order (200) instead of creating a second one; the same "
    "key with a different body answers 409 `idempotency_conflict`. 201 on creation. 409 "
    "`out_of_stock` or `service_not_available` when no storage point can ship it (nothing is "
    "written). Address problems do not refuse the order: they are listed in "
    "`address_problems` and block its label until fixed or overridden.",
)
def create_order_endpoint(
    request: HttpRequest,
    payload: OrderIn,
    idempotency_key: Annotated[Text | None, Header(alias="Idempotency-Key")] = None,
):
    try:
        order, created = create_order(
            merchant=request.api_merchant,
            data=payload.model_dump(mode="json"),
            idempotency_key=idempotency_key,
        )
    except ValidationError as error:
        return invalid(error)
    except IdempotencyConflict as error:
        return problem(409, error.code, str(error), field="Idempotency-Key")
    except DuplicateReference as error:
        return problem(409, error.code, str(error), field="reference")
    except Unroutable as error:
        return problem(409, error.code, error.detail, field=error.field)
    except GeocoderUnavailable as error:
        return problem(503, "geocoder_unavailable", error.message, field="destination")
    if created:
        return Status(201, order)
    return Status(200, order_detail(request.api_merchant, order.pk))


@router.get("", response=list[OrderSummaryOut], summary="Orders, newest first")
@paginate(Page)
def list_orders(request: HttpRequest, filters: Query[OrderFilters]):
    created_after = filters.created_after
    if created_after is not None and timezone.is_naive(created_after):
        created_after = timezone.make_aware(created_after, dt.UTC)
    return order_list(request.api_merchant, status=filters.status, created_after=created_after)


@router.get(
    "/{order_id}",
    response=OrderOut,
    summary="One order: lines, allocations and why, address problems, history",
)
def get_order(request: HttpRequest, order_id: QueryId):
    return order_detail(request.api_merchant, order_id)


@router.post(
    "/{order_id}/cancel",
    response={200: OrderOut, 409: OrderProblemOut},
    summary="Cancel an order and release its stock",
)
def cancel_order_endpoint(request: HttpRequest, order_id: QueryId):
    order = get_order_for_merchant(request.api_merchant, order_id)
    try:
        cancel_order(order=order, user=None, note="Cancelled through the API")
    except TransitionNotAllowed as error:
        return problem(409, "transition_not_allowed", " ".join(error.messages), field="status")
    return Status(200, order_detail(request.api_merchant, order.pk))


@router.put(
    "/{order_id}/tags",
    response={200: OrderOut, 422: OrderProblemOut},
    summary="Set an order's tags",
    description="Replaces the order's tags: trimmed, lowercased, duplicates dropped. A tag is "
    "up to 40 letters, digits, spaces, dots, dashes or underscores; 422 `invalid` (field "
    "`tags`) otherwise. Filter ship runs by a tag (POST /api/v1/ship-runs).",
)
def set_order_tags_endpoint(request: HttpRequest, order_id: QueryId, payload: TagsIn):
    order = get_order_for_merchant(request.api_merchant, order_id)
    try:
        set_order_tags(order=order, tags=payload.tags)
    except ValidationError as error:
        return invalid(error)
    return Status(200, order_detail(request.api_merchant, order.pk))
