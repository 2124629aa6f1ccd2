"""Storage points over the JSON API (/api/v1/storage-points). Money is integer minor units in
the merchant's currency; every call is scoped to the merchant of the secret key."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Body, Field, Router, Schema
from ninja.pagination import paginate

from merchant.api.fields import Count, InputSchema, LocalTime, Page, Problem, QueryId
from merchant.models import StoragePoint
from merchant.selectors.points import get_point_for_merchant, points_for_merchant
from merchant.services import points as service

router = Router(tags=["storage points"])

Kind = StoragePoint.Kind
Role = StoragePoint.Role
HOURS_HELP = 'Per weekday (mon … sun) a list of ["HH:MM", "HH:MM"] periods; [] when closed.'


class PointIn(InputSchema):
    name: str
    kind: Kind = Kind.WAREHOUSE
    role: Role = Role.IN_USE
    address_line: str
    city: str
    state: str = ""
    postal_code: str
    country: str = "US"
    capacity_units: Count = 1000
    capacity_m3: Decimal = Field(Decimal("10"), max_digits=8, decimal_places=2)
    monthly_cost: Count = Field(0, description="Minor units (cents) of the merchant's currency.")
    cost_per_order: Count = Field(0, description="Minor units (cents) of the merchant's currency.")
    same_day_cutoff: LocalTime | None = Field(None, description="Local time, HH:MM.")
    opening_hours: dict[str, Any] = Field(default_factory=dict, description=HOURS_HELP)
    is_active: bool = True


class PointPatch(InputSchema):
    name: str | None = None
    kind: Kind | None = None
    role: Role | None = None
    address_line: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    capacity_units: Count | None = None
    capacity_m3: Decimal | None = Field(None, max_digits=8, decimal_places=2)
    monthly_cost: Count | None = None
    cost_per_order: Count | None = None
    same_day_cutoff: LocalTime | None = None
    opening_hours: dict[str, Any] | None = Field(None, description=HOURS_HELP)
    is_active: bool | None = None


class PointOut(Schema):
    id: int
    name: str
    kind: str
    role: str
    address_line: str
    city: str
    state: str
    postal_code: str
    country: str
    latitude: float | None
    longitude: float | None
    capacity_units: int
    capacity_m3: float
    monthly_cost: int
    cost_per_order: int
    currency: str
    same_day_cutoff: LocalTime | None
    opening_hours: dict[str, Any]
    is_active: bool
    inactive_reason: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_currency(point: StoragePoint) -> str:
        return point.merchant.currency


@router.get("", response=list[PointOut], summary="List storage points")
@paginate(Page)
def list_points(request: HttpRequest):
    return points_for_merchant(request.api_merchant).select_related("merchant")


@router.post(
    "",
    response={201: PointOut},
    summary="Create a storage point (its address is geocoded; if it cannot be, it is saved "
    "inactive with the reason)",
)
def create_point(request: HttpRequest, payload: PointIn):
    return service.create_point(merchant=request.api_merchant, **payload.dict())


@router.get("/{point_id}", response={200: PointOut, 404: Problem}, summary="One storage point")
def get_point(request: HttpRequest, point_id: QueryId):
    return get_point_for_merchant(request.api_merchant, point_id)


@router.patch(
    "/{point_id}",
    response={200: PointOut, 404: Problem, 422: Problem},
    summary="Change some fields of a storage point",
)
def update_point(
    request: HttpRequest, point_id: QueryId, payload: Annotated[PointPatch | None, Body()] = None
):
    # The body is optional so that another merchant's id answers 404 before any body check.
    point = get_point_for_merchant(request.api_merchant, point_id)
    if payload is None:
        raise ValidationError("Send a JSON object with the fields to change.")
    return service.update_point(point=point, **payload.dict(exclude_unset=True))


@router.delete(
    "/{point_id}",
    response={204: None, 404: Problem, 409: Problem},
    summary="Delete a storage point that never held stock (otherwise deactivate it)",
)
def delete_point(request: HttpRequest, point_id: QueryId):
    point = get_point_for_merchant(request.api_merchant, point_id)
    try:
        service.delete_point(point=point)
    except service.PointInUse as exc:
        problem = {"status": 409, "code": exc.code, "detail": exc.message, "field": None}
        return JsonResponse(problem, status=409)
    return HttpResponse(status=204)
