"""Own fleet admin API, mounted at /api/v1/fleet (secret key): drivers (and their sign-in
links), vehicles, shifts and own-delivery services. Every call goes through the same services
as the pages; another merchant's id answers 404, a bad value 422 naming the field."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from fulfillment.fleet.drivers.selectors import drivers_for_list, get_driver_for_merchant
from fulfillment.fleet.drivers.services import drivers as driver_service
from fulfillment.fleet.services import setup as fleet_setup
from fulfillment.fleet.services.selectors import (
    fleet_services_for_list,
    get_fleet_service_for_merchant,
)
from fulfillment.fleet.shifts import services as shift_service
from fulfillment.fleet.shifts.selectors import get_shift_for_merchant, shifts_for_list
from fulfillment.fleet.vehicles import services as vehicle_service
from fulfillment.fleet.vehicles.selectors import get_vehicle_for_merchant, vehicles_for_list
from merchant.api.fields import Count, Id, InputSchema, LocalTime, Problem
from merchant.selectors.points import get_point_for_merchant

router = Router(tags=["fleet"])
ERRORS = {404: Problem, 422: Problem}
Short = Annotated[str, Field(max_length=60)]
Minor = Annotated[int, Field(ge=0, le=fleet_setup.MAX_MINOR)]


def _required(payload):
    if payload is None:
        raise ValidationError({"body": "Send the whole object as JSON."})
    return payload


# --- drivers ---------------------------------------------------------------------------------


class DriverIn(InputSchema):
    name: str = Field(..., max_length=120)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=32)


class DriverOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    is_active: bool
    invited_at: dt.datetime | None
    last_seen_at: dt.datetime | None


class LinkOut(Schema):
    sent_to: list[str]
    expires_at: dt.datetime


@router.get("/drivers", response=list[DriverOut], summary="Drivers (active ones)")
def list_drivers(request: HttpRequest, inactive: bool = False):
    return list(drivers_for_list(request.api_merchant, show_inactive=inactive))


@router.post("/drivers", response={201: DriverOut, 422: Problem}, summary="Add a driver")
def create_driver(request: HttpRequest, payload: DriverIn):
    return Status(201, driver_service.save_driver(merchant=request.api_merchant, **payload.dict()))


@router.get("/drivers/{int:driver_id}", response={200: DriverOut, 404: Problem})
def get_driver(request: HttpRequest, driver_id: int):
    return get_driver_for_merchant(request.api_merchant, driver_id)


@router.put("/drivers/{int:driver_id}", response={200: DriverOut, **ERRORS})
def replace_driver(request: HttpRequest, driver_id: int, payload: DriverIn | None = None):
    driver = get_driver_for_merchant(request.api_merchant, driver_id)
    data = _required(payload).dict()
    return driver_service.save_driver(merchant=request.api_merchant, driver=driver, **data)


@router.delete("/drivers/{int:driver_id}", response={204: None, 404: Problem}, summary="Deactivate")
def deactivate_driver(request: HttpRequest, driver_id: int):
    driver = get_driver_for_merchant(request.api_merchant, driver_id)
    driver_service.set_driver_active(driver=driver, active=False)
    return Status(204, None)


@router.post(
    "/drivers/{int:driver_id}/sign-in-link",
    response={201: LinkOut, **ERRORS},
    summary="Send a one-time sign-in link by email and/or SMS",
)
def send_link(
    request: HttpRequest,
    driver_id: int,
    channels: Annotated[str, Query(max_length=20, description='"email", "sms" or "email,sms"')] = (
        "email"
    ),
):
    driver = get_driver_for_merchant(request.api_merchant, driver_id)
    links = driver_service.send_sign_in_link(driver=driver, channels=channels.split(","))
    return Status(201, {"sent_to": [x.sent_to for x in links], "expires_at": links[0].expires_at})


# --- vehicles --------------------------------------------------------------------------------


class VehicleIn(InputSchema):
    name: str = Field(..., max_length=120)
    kind: str = Field(..., description="cargo_bike, car or van")
    capacity_parcels: Count
    capacity_g: Count = Field(..., description="Weight it carries, grams.")
    capacity_ml: Count = Field(..., description="Load space, millilitres.")
    skills: list[Short] = Field(default_factory=list, max_length=20)


class VehicleOut(Schema):
    id: int
    name: str
    kind: str
    capacity_parcels: int
    capacity_g: int
    capacity_ml: int
    skills: list[str]
    is_active: bool


@router.get("/vehicles", response=list[VehicleOut], summary="Vehicles in use")
def list_vehicles(request: HttpRequest, inactive: bool = False):
    return list(vehicles_for_list(request.api_merchant, show_inactive=inactive))


@router.post("/vehicles", response={201: VehicleOut, 422: Problem}, summary="Add a vehicle")
def create_vehicle(request: HttpRequest, payload: VehicleIn):
    data = payload.dict()
    return Status(201, vehicle_service.save_vehicle(merchant=request.api_merchant, **data))


@router.get("/vehicles/{int:vehicle_id}", response={200: VehicleOut, 404: Problem})
def get_vehicle(request: HttpRequest, vehicle_id: int):
    return get_vehicle_for_merchant(request.api_merchant, vehicle_id)


@router.put("/vehicles/{int:vehicle_id}", response={200: VehicleOut, **ERRORS})
def replace_vehicle(request: HttpRequest, vehicle_id: int, payload: VehicleIn | None = None):
    vehicle = get_vehicle_for_merchant(request.api_merchant, vehicle_id)
    data = _required(payload).dict()
    return vehicle_service.save_vehicle(merchant=request.api_merchant, vehicle=vehicle, **data)


@router.delete("/vehicles/{int:vehicle_id}", response={204: None, 404: Problem}, summary="Retire")
def retire_vehicle(request: HttpRequest, vehicle_id: int):
    vehicle = get_vehicle_for_merchant(request.api_merchant, vehicle_id)
    vehicle_service.set_vehicle_active(vehicle=vehicle, active=False)
    return Status(204, None)


# --- shifts ----------------------------------------------------------------------------------


class BreakIn(InputSchema):
    start: Short
    end: Short
    minutes: int = Field(..., ge=5, le=180)


class ShiftIn(InputSchema):
    driver_id: Id
    vehicle_id: Id
    date: dt.date
    starts_at: LocalTime
    ends_at: LocalTime
    start_point_id: Id | None = Field(None, description="A hub; or start_address.")
    start_address: str = Field("", max_length=200)
    end_point_id: Id | None = Field(None, description="Empty end: where it starts.")
    end_address: str = Field("", max_length=200)
    breaks: list[BreakIn] = Field(default_factory=list, max_length=4)


class ShiftOut(Schema):
    id: int
    driver_id: int
    vehicle_id: int
    date: dt.date
    starts_at: LocalTime
    ends_at: LocalTime
    start_point_id: int | None
    start_latitude: float | None
    start_longitude: float | None
    end_point_id: int | None
    end_latitude: float | None
    end_longitude: float | None
    breaks: list[dict]


def _place(request: HttpRequest, point_id: int | None, address: str, field: str):
    if point_id is not None:
        try:
            return shift_service.Place(point=get_point_for_merchant(request.api_merchant, point_id))
        except Http404:  # another merchant's point is a bad value here, not a 404
            raise ValidationError({field: "Choose one of your storage points."}) from None
    return shift_service.Place(address=address) if address.strip() else None


def _save_shift(request: HttpRequest, payload: ShiftIn, shift=None):
    merchant = request.api_merchant
    try:
        driver = get_driver_for_merchant(merchant, payload.driver_id)
        vehicle = get_vehicle_for_merchant(merchant, payload.vehicle_id)
    except Http404:
        raise ValidationError({"driver_id": "Choose one of your drivers and vehicles."}) from None
    return shift_service.save_shift(
        merchant=merchant, shift=shift, driver=driver, vehicle=vehicle, day=payload.date,
        starts_at=payload.starts_at, ends_at=payload.ends_at,
        start=_place(request, payload.start_point_id, payload.start_address, "start_point_id"),
        end=_place(request, payload.end_point_id, payload.end_address, "end_point_id"),
        breaks=[b.dict() for b in payload.breaks],
    )  # fmt: skip


@router.get("/shifts", response=list[ShiftOut], summary="Shifts from a day on")
def list_shifts(request: HttpRequest, since: dt.date | None = None):
    return list(shifts_for_list(request.api_merchant, since=since)[:500])


@router.post("/shifts", response={201: ShiftOut, 422: Problem}, summary="Add a shift")
def create_shift(request: HttpRequest, payload: ShiftIn):
    return Status(201, _save_shift(request, payload))


@router.get("/shifts/{int:shift_id}", response={200: ShiftOut, 404: Problem})
def get_shift(request: HttpRequest, shift_id: int):
    return get_shift_for_merchant(request.api_merchant, shift_id)


@router.put("/shifts/{int:shift_id}", response={200: ShiftOut, **ERRORS})
def replace_shift(request: HttpRequest, shift_id: int, payload: ShiftIn | None = None):
    shift = get_shift_for_merchant(request.api_merchant, shift_id)
    return _save_shift(request, _required(payload), shift)


@router.delete("/shifts/{int:shift_id}", response={204: None, **ERRORS})
def delete_shift(request: HttpRequest, shift_id: int):
    shift_service.delete_shift(shift=get_shift_for_merchant(request.api_merchant, shift_id))
    return Status(204, None)


# --- own-delivery services -------------------------------------------------------------------


class FleetServiceIn(InputSchema):
    hub_id: Id
    name: str = Field(..., max_length=120)
    area_kind: str = Field("radius", description="radius, zips or polygon")
    radius_km: float | None = Field(None, ge=0.1, le=200, allow_inf_nan=False)
    zip_codes: list[Short] = Field(default_factory=list, max_length=5000)
    polygon: dict | None = Field(None, description="GeoJSON Polygon or MultiPolygon.")
    per_hour_minor: Minor = 0
    per_km_minor: Minor = 0
    per_stop_minor: Minor = 0
    service_seconds: int = Field(240, ge=0, le=3600)
    cutoff: LocalTime
    waves: list[Short] = Field(..., max_length=12, description='Departures, e.g. ["10:00"].')
    window_minutes: int = Field(120, ge=15, le=720)
    is_active: bool = True


class FleetServiceOut(Schema):
    id: int
    hub_id: int
    courier_service_id: int | None
    name: str
    area_kind: str
    radius_km: float | None
    zip_codes: list[str]
    polygon: dict | None
    per_hour_minor: int
    per_km_minor: int
    per_stop_minor: int
    service_seconds: int
    cutoff: LocalTime
    waves: list[str]
    window_minutes: int
    is_active: bool


def _save_fleet_service(request: HttpRequest, payload: FleetServiceIn, fleet_service=None):
    data = payload.dict()
    try:
        hub = get_point_for_merchant(request.api_merchant, data.pop("hub_id"))
    except Http404:
        raise ValidationError({"hub_id": "Choose one of your storage points."}) from None
    return fleet_setup.save_fleet_service(
        merchant=request.api_merchant, fleet_service=fleet_service, hub=hub, **data
    )


@router.get("/services", response=list[FleetServiceOut], summary="Own-delivery services")
def list_fleet_services(request: HttpRequest):
    return list(fleet_services_for_list(request.api_merchant))


@router.post(
    "/services",
    response={201: FleetServiceOut, 422: Problem},
    summary="Add own delivery from a hub (it joins rate shopping as an own_fleet service)",
)
def create_fleet_service(request: HttpRequest, payload: FleetServiceIn):
    return Status(201, _save_fleet_service(request, payload))


@router.get("/services/{int:fleet_service_id}", response={200: FleetServiceOut, 404: Problem})
def get_fleet_service(request: HttpRequest, fleet_service_id: int):
    return get_fleet_service_for_merchant(request.api_merchant, fleet_service_id)


@router.put("/services/{int:fleet_service_id}", response={200: FleetServiceOut, **ERRORS})
def replace_fleet_service(
    request: HttpRequest, fleet_service_id: int, payload: FleetServiceIn | None = None
):
    found = get_fleet_service_for_merchant(request.api_merchant, fleet_service_id)
    return _save_fleet_service(request, _required(payload), found)


@router.delete(
    "/services/{int:fleet_service_id}", response={204: None, 404: Problem}, summary="Retire"
)
def retire_fleet_service(request: HttpRequest, fleet_service_id: int):
    found = get_fleet_service_for_merchant(request.api_merchant, fleet_service_id)
    fleet_setup.delete_fleet_service(fleet_service=found)
    return Status(204, None)
