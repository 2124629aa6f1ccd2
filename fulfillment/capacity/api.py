"""Capacity API, mounted at /api/v1/capacity (secret key): the next 14 days per storage point
(the page's figures and advice) and the booked courier pick-ups (list, create, read, replace,
delete). Another merchant's id answers 404 in a path and 422 naming the field in a body."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import BeforeValidator, Strict

from fulfillment.capacity import services
from fulfillment.capacity.selectors import (
    capacity_outlook,
    get_pickup_for_merchant,
    pickups_for_list,
)
from fulfillment.couriers.selectors import get_account_for_merchant
from fulfillment.models.capacity import MAX_PICKUP_PARCELS
from merchant.api.fields import Id, InputSchema, LocalTime, Problem, QueryId
from merchant.selectors.demand import merchant_today
from merchant.selectors.points import get_point_for_merchant

router = Router(tags=["capacity"])
ERRORS = {404: Problem, 422: Problem}


def _not_a_bool(value: object) -> object:
    if isinstance(value, bool):  # JSON `true` is not Tuesday
        raise ValueError("Give a weekday as 0 (Monday) … 6 (Sunday) or its name.")
    return value


Weekday = Annotated[
    int | Annotated[str, Field(max_length=12)],
    BeforeValidator(_not_a_bool),
    Field(description="0 (Monday) … 6 (Sunday), or mon … sun"),
]


class CapacityDriverOut(Schema):
    driver: str
    parcels: int


class PickupSlotOut(Schema):
    courier: str
    parcels: int


class CourierOut(Schema):
    service_id: int
    name: str
    level: str
    price_minor: int
    currency: str


class DayOut(Schema):
    day: dt.date
    expected: int
    upper: int = Field(..., description="The forecast band's top (80%).")
    drivers: list[CapacityDriverOut]
    pickups: list[PickupSlotOut]
    driver_parcels: int
    pickup_parcels: int
    capacity: int
    shortfall: int
    spare: int
    drivers_to_add: int
    drivers_to_release: int = Field(
        ..., description="Drivers the day could do without and still cover the band's top."
    )
    move_parcels: int
    courier: CourierOut | None
    status: str = Field(..., description="short, tight (short on a busy day), ok or idle")
    text: str


class CapacityPointOut(Schema):
    point_id: int
    point_name: str
    share: float = Field(..., description="The point's share of the shop's orders.")
    average_shift: float = Field(..., description="Parcels an average shift here takes.")
    courier: CourierOut | None
    days: list[DayOut]


class OutlookOut(Schema):
    today: dt.date
    stops_per_hour: float
    pace_basis: str = Field(..., description="history (the fleet's own) or setting")
    share_basis: str = Field(..., description="allocations, even or none")
    forecast_method: str
    points: list[CapacityPointOut]


@router.get("", response={200: OutlookOut, 404: Problem}, summary="The next 14 days per point")
def outlook(request: HttpRequest, point: Annotated[QueryId | None, Query()] = None):
    merchant = request.api_merchant
    if point is not None:
        get_point_for_merchant(merchant, point)  # 404 for another shop's point
    found = capacity_outlook(merchant, point_id=point)
    return {
        "today": found.today,
        "stops_per_hour": round(found.pace.stops_per_hour, 2),
        "pace_basis": found.pace.basis,
        "share_basis": found.share_basis,
        "forecast_method": found.forecast_method,
        "points": [
            {
                "point_id": p.point.pk,
                "point_name": p.point.name,
                "share": round(p.share, 4),
                "average_shift": round(p.average_shift, 1),
                "courier": p.courier,
                "days": [
                    {
                        **{k: getattr(d, k) for k in DayOut.model_fields if k != "courier"},
                        "courier": d.courier,
                    }
                    for d in p.days
                ],
            }
            for p in found.points
        ],
    }


class PickupIn(InputSchema):
    point_id: Id
    account_id: Id
    weekdays: list[Weekday] = Field(default_factory=list, max_length=7)
    dates: list[dt.date] = Field(default_factory=list, max_length=services.MAX_DATES)
    max_parcels: Annotated[int, Strict()] = Field(..., description=f"1 … {MAX_PICKUP_PARCELS}")
    pickup_time: LocalTime | None = None
    note: str = Field("", max_length=200)
    is_active: bool = True


class PickupOut(Schema):
    id: int
    point_id: int
    account_id: int
    weekdays: list[int]
    dates: list[str]
    max_parcels: int
    pickup_time: LocalTime | None
    note: str
    is_active: bool


def _save(request: HttpRequest, payload: PickupIn | None, pickup=None):
    if payload is None:
        raise ValidationError({"body": "Send the whole pick-up as JSON."})
    merchant = request.api_merchant
    data = payload.dict()
    try:
        point = get_point_for_merchant(merchant, data.pop("point_id"))
    except Http404:
        raise ValidationError({"point_id": "Choose one of your storage points."}) from None
    try:
        account = get_account_for_merchant(merchant, data.pop("account_id"))
    except Http404:
        raise ValidationError({"account_id": "Choose one of your courier accounts."}) from None
    try:
        return services.save_pickup(
            merchant=merchant,
            pickup=pickup,
            point=point,
            account=account,
            today=merchant_today(merchant),
            **data,
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):  # the API names the id fields
            names = {"point": "point_id", "account": "account_id"}
            raise ValidationError({names.get(k, k): v for k, v in exc.error_dict.items()}) from None
        raise


@router.get("/pickups", response=list[PickupOut], summary="Booked courier pick-ups")
def list_pickups(request: HttpRequest, point: Annotated[QueryId | None, Query()] = None):
    return list(pickups_for_list(request.api_merchant, point_id=point)[:1000])


@router.post("/pickups", response={201: PickupOut, 422: Problem}, summary="Record a pick-up")
def create_pickup(request: HttpRequest, payload: PickupIn | None = None):
    return Status(201, _save(request, payload))


@router.get("/pickups/{int:pickup_id}", response={200: PickupOut, 404: Problem})
def get_pickup(request: HttpRequest, pickup_id: int):
    return get_pickup_for_merchant(request.api_merchant, pickup_id)


@router.put("/pickups/{int:pickup_id}", response={200: PickupOut, **ERRORS})
def replace_pickup(request: HttpRequest, pickup_id: int, payload: PickupIn | None = None):
    pickup = get_pickup_for_merchant(request.api_merchant, pickup_id)
    return _save(request, payload, pickup)


@router.delete("/pickups/{int:pickup_id}", response={204: None, 404: Problem})
def delete_pickup(request: HttpRequest, pickup_id: int):
    services.delete_pickup(pickup=get_pickup_for_merchant(request.api_merchant, pickup_id))
    return Status(204, None)
