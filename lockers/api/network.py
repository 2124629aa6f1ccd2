"""The merchant's pickup network through the secret-key API."""

# No `from __future__ import annotations`: @paginate's wrapper would resolve the parameter
# types (QueryId, Text) in ninja's module instead of this one.

from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from lockers.selectors import network as selectors
from lockers.services import network as service
from merchant.api.fields import InputSchema, Page, QueryId

router = Router(tags=["pickup network"])


class PlaceOut(Schema):
    id: int
    ref: str
    name: str
    network: str
    address: str
    latitude: float
    longitude: float
    opening_hours: dict
    is_active: bool


class BankOut(PlaceOut):
    operator: str
    is_24_7: bool
    compartment_count: int = 0
    free_count: int = 0


class ShopOut(PlaceOut):
    holding_capacity: int
    staff_name: str
    staff_phone: str
    staff_email: str


class CompartmentOut(Schema):
    id: int
    bank_id: int
    label: str
    size: str
    inner_length_mm: int
    inner_width_mm: int
    inner_height_mm: int
    max_weight_g: int
    state: str


class CompartmentPatch(InputSchema):
    out_of_order: bool = Field(..., strict=True)


class ReservationOut(Schema):
    id: int
    bank_id: int
    compartment_id: int
    status: str
    order_id: int | None
    expires_at: datetime
    confirmed_at: datetime | None


@router.get("/lockers", response=list[BankOut], summary="Locker banks")
@paginate(Page)
def list_banks(request: HttpRequest, active: bool | None = None):
    return selectors.banks_for_merchant(request.api_merchant, active=active)


@router.get("/lockers/{bank_id}", response=BankOut, summary="One locker bank")
def get_bank(request: HttpRequest, bank_id: QueryId):
    bank = selectors.get_bank_for_merchant(request.api_merchant, bank_id)
    return selectors.banks_for_merchant(request.api_merchant).get(pk=bank.pk)


@router.get(
    "/lockers/{bank_id}/compartments", response=list[CompartmentOut], summary="Its compartments"
)
@paginate(Page)
def list_compartments(request: HttpRequest, bank_id: QueryId):
    return selectors.get_bank_for_merchant(request.api_merchant, bank_id).compartments.all()


@router.patch(
    "/compartments/{compartment_id}",
    response=CompartmentOut,
    summary="Take a compartment out of service, or back",
)
def patch_compartment(
    request: HttpRequest, compartment_id: QueryId, payload: CompartmentPatch | None = None
):
    # Look the compartment up first: another merchant's id answers 404 whatever the body.
    compartment = selectors.get_compartment_for_merchant(request.api_merchant, compartment_id)
    if payload is None:
        raise ValidationError({"out_of_order": "Say true or false."})
    return service.set_compartment_out_of_order(
        compartment=compartment, out_of_order=payload.out_of_order
    )


@router.get("/shops", response=list[ShopOut], summary="Pickup shops")
@paginate(Page)
def list_shops(request: HttpRequest, active: bool | None = None):
    return selectors.shops_for_merchant(request.api_merchant, active=active)


@router.get("/shops/{shop_id}", response=ShopOut, summary="One pickup shop")
def get_shop(request: HttpRequest, shop_id: QueryId):
    return selectors.get_shop_for_merchant(request.api_merchant, shop_id)


@router.get(
    "/reservations/{reservation_id}", response=ReservationOut, summary="One compartment hold"
)
def get_reservation(request: HttpRequest, reservation_id: QueryId):
    return selectors.get_reservation_for_merchant(request.api_merchant, reservation_id)
