"""The public checkout API (publishable key): delivery options and compartment holds."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.decorators import decorate_view

from lockers.api.publishable import PublishableKey, preflight, problem, publishable_endpoint
from lockers.models import Reservation
from lockers.parcels import parcel_from_cart, parcel_from_dims
from lockers.selectors.network import get_bank_for_merchant
from lockers.services import options, reservations
from merchant.api.fields import Count, Id, InputSchema, Problem, QueryCount, Text

router = Router(tags=["checkout (publishable key)"])
AUTH = PublishableKey()


class OptionsQuery(InputSchema):
    country: str = Field("US", max_length=2, description="ISO country code of the destination.")
    postal_code: str = Field("", max_length=12)
    address: str = Field("", max_length=300)
    lat: float | None = None
    lon: float | None = None
    weight_g: QueryCount | None = None
    length_mm: QueryCount | None = None
    width_mm: QueryCount | None = None
    height_mm: QueryCount | None = None
    cart: str = Field("", max_length=4000, description="SKU:quantity lines, comma-separated.")
    limit: int = Field(5, ge=1, le=20, description="Lockers and shops to list, each.")
    value_minor: QueryCount | None = Field(
        None, description="The cart's value in minor units (for rules such as free shipping over)."
    )
    tags: str = Field("", max_length=1000, description="The cart's tags, comma-separated.")
    street: str = Field("", max_length=200, description="Street line as typed (address risk).")
    unit: str = Field("", max_length=200, description="Apartment, unit or suite (address risk).")
    company: str = Field("", max_length=150, description="Company name, if any (address risk).")


class Money(Schema):
    amount: int
    currency: str


class HomeOption(Schema):
    id: str
    courier: str
    service: str
    level: str
    price: Money
    rule: str | None = Field(None, description="The checkout rule the price comes from.")
    eta: dict


class PlaceOption(Schema):
    id: int
    ref: str
    name: str
    address: str
    lat: float
    lon: float
    distance_m: int
    opening_hours: dict | None
    open_24_7: bool
    open_now: bool | None
    ready_by: str | None
    price: Money
    rule: str | None = Field(None, description="The checkout rule the price comes from.")


class LockerOption(PlaceOption):
    compartment_size: str


class RiskReason(Schema):
    code: str
    text: str


class RiskSuggestion(Schema):
    ref: str = Field(..., description="The locker or shop put first (its `ref`).")
    kind: str
    name: str
    distance_m: int
    hold_days: int
    reason: str
    text: str


class RiskOut(Schema):
    score: float = Field(..., description="Probability that a home delivery here fails.")
    level: str = Field(..., description="low, medium or high (over the merchant's threshold).")
    reasons: list[RiskReason]
    suggestion: RiskSuggestion | None


class OptionsOut(Schema):
    destination: dict
    parcel: dict
    ships_from: dict | None
    home: list[HomeOption]
    lockers: list[LockerOption]
    shops: list[PlaceOption]
    risk: RiskOut | None = None


@router.get(
    "/delivery-options",
    response={200: OptionsOut, 401: Problem, 403: Problem, 422: Problem, 429: Problem},
    auth=AUTH,
    summary="Home, locker and pickup-shop options for a destination and a parcel",
)
@decorate_view(publishable_endpoint)
def delivery_options(request: HttpRequest, q: Query[OptionsQuery]):
    answer = options.answer_for_query(
        merchant=request.api_merchant,
        country=q.country,
        postal_code=q.postal_code,
        address=q.address,
        lat=q.lat,
        lon=q.lon,
        cart=q.cart,
        weight_g=q.weight_g,
        length_mm=q.length_mm,
        width_mm=q.width_mm,
        height_mm=q.height_mm,
        limit=q.limit,
        value_minor=q.value_minor,
        tags=options.cart_tags(q.tags),
        versions=request.checkout_versions,
        street=q.street,
        unit=q.unit,
        company=q.company,
    )
    # Serialised directly: validating this per keystroke through OptionsOut cost a third of the
    # request's CPU; tests/lockers check that the answer still matches the documented schema.
    return JsonResponse(answer)


@router.api_operation(["OPTIONS"], "/delivery-options", auth=None, include_in_schema=False)
def delivery_options_preflight(request: HttpRequest) -> HttpResponse:
    return preflight(request, "GET, OPTIONS")


class CartLine(InputSchema):
    sku: str = Field(..., max_length=64)
    quantity: int = Field(1, ge=1, le=999, strict=True)


class ReservationIn(InputSchema):
    bank_id: Id
    weight_g: Count | None = None
    length_mm: Count | None = None
    width_mm: Count | None = None
    height_mm: Count | None = None
    cart: list[CartLine] | None = None


class HoldOut(Schema):
    id: int
    token: str
    status: str
    bank_id: int
    compartment_size: str
    expires_at: datetime


@router.post(
    "/reservations",
    response={
        201: HoldOut,
        401: Problem,
        403: Problem,
        404: Problem,
        409: Problem,
        422: Problem,
        429: Problem,
    },
    auth=AUTH,
    summary="Hold the smallest free compartment of a locker bank that fits the parcel",
)
@decorate_view(publishable_endpoint)
def create_reservation(request: HttpRequest, payload: ReservationIn):
    merchant = request.api_merchant
    bank = get_bank_for_merchant(merchant, payload.bank_id)
    if payload.cart:
        parcel = parcel_from_cart(merchant, [(line.sku, line.quantity) for line in payload.cart])
    else:
        parcel = parcel_from_dims(
            weight_g=payload.weight_g,
            length_mm=payload.length_mm,
            width_mm=payload.width_mm,
            height_mm=payload.height_mm,
        )
    try:
        reservation = reservations.reserve_compartment(bank=bank, parcel=parcel)
    except reservations.NoCompartmentFree as exc:
        return problem(409, exc.code, exc.message, field="bank_id")
    return Status(
        201,
        {
            "id": reservation.pk,
            "token": reservation.token,
            "status": reservation.status,
            "bank_id": bank.pk,
            "compartment_size": reservation.compartment.size,
            "expires_at": reservation.expires_at,
        },
    )


@router.api_operation(["OPTIONS"], "/reservations", auth=None, include_in_schema=False)
def reservations_preflight(request: HttpRequest) -> HttpResponse:
    return preflight(request, "POST, OPTIONS")


@router.delete(
    "/reservations/{token}",
    response={204: None, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 429: Problem},
    auth=AUTH,
    summary="Release a compartment hold the shopper no longer wants (idempotent)",
)
@decorate_view(publishable_endpoint)
def release_reservation(request: HttpRequest, token: Text):
    try:
        reservations.release_held(merchant=request.api_merchant, reservation_token=token)
    except Reservation.DoesNotExist:
        return problem(404, "not_found", "No such locker reservation.")
    except ValidationError as exc:
        return problem(409, "reservation_confirmed", exc.messages[0], field="token")
    return Status(204, None)


@router.api_operation(["OPTIONS"], "/reservations/{token}", auth=None, include_in_schema=False)
def reservation_preflight(request: HttpRequest, token: str) -> HttpResponse:
    return preflight(request, "DELETE, OPTIONS")
