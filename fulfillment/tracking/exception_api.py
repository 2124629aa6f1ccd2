"""Exception actions over the API (#20 item 4), mounted at /api/v1/shipments: the places a
parcel can be redirected to, the redirect, and a new delivery day. The same services as the
exceptions queue; errors are JSON problems (409 when the parcel's state refuses, 422 for bad
input, 404 for another merchant's shipment or place)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from fulfillment.models.redirects import RequestedBy
from fulfillment.tracking import hooks, reschedule, shopper_actions
from fulfillment.tracking.selectors import get_shipment_for_merchant
from merchant.api.fields import InputSchema, Problem, QueryId

router = Router(tags=["exceptions"])

# Refusals that come from the parcel's state, not from the input.
CONFLICTS = {
    "not_redirectable",
    "already_redirected",
    "no_compartment_free",
    "shop_full",
    "not_in_service",
    "not_reschedulable",
}


class RedirectPlaceOut(Schema):
    ref: str
    kind: str
    name: str
    address: str
    distance_m: int
    opening_hours: str
    hold_days: int
    compartment_size: str


class RedirectIn(InputSchema):
    place: Annotated[str, Field(min_length=1, max_length=64, description='"locker:12", "shop:3"')]


class RedirectOut(Schema):
    id: int
    shipment_id: int
    to_pickup_ref: str
    to_name: str
    to_address: str
    from_delivery_kind: str
    from_address: dict
    requested_by: str
    courier_told: str
    courier_note: str
    created_at: dt.datetime
    notified_at: dt.datetime | None


class RescheduleIn(InputSchema):
    day: dt.date


class RescheduleOut(Schema):
    id: int
    shipment_id: int
    day: dt.date
    requested_by: str
    courier_told: str
    courier_note: str
    created_at: dt.datetime


def _problem(error: ValidationError) -> Status:
    errors = getattr(error, "error_dict", {})
    field = next(iter(errors), None)
    codes = {e.code for found in errors.values() for e in found if e.code}
    conflict = bool(codes & CONFLICTS)
    status = 409 if conflict else 422
    code = next(iter(codes & CONFLICTS), "invalid") if conflict else "invalid"
    detail = " ".join(error.messages)
    return Status(status, {"status": status, "code": code, "detail": detail, "field": field})


@router.get(
    "/{shipment_id}/redirect-options",
    response={200: list[RedirectPlaceOut], 404: Problem},
    summary="Lockers and shops the parcel can go to",
)
def redirect_options(request: HttpRequest, shipment_id: QueryId):
    shipment = get_shipment_for_merchant(request.api_merchant, shipment_id)
    redirector = hooks.redirector()
    return redirector.options(shipment, limit=5) if redirector else []


@router.post(
    "/{shipment_id}/redirect",
    response={200: RedirectOut, 201: RedirectOut, 404: Problem, 409: Problem, 422: Problem},
    summary="Send the parcel to a locker or pickup shop",
    description="Holds a compartment (or a shop slot), points the order there, tells the "
    "courier where it can be told and the shopper once. The same place again answers 200 with "
    "the first redirect.",
)
def redirect_parcel(request: HttpRequest, shipment_id: QueryId, payload: RedirectIn):
    shipment = get_shipment_for_merchant(request.api_merchant, shipment_id)
    redirector = hooks.redirector()
    if redirector is None:
        return Status(409, {"status": 409, "code": "no_network", "detail": "No pickup network."})
    try:
        record, created = redirector.redirect(
            shipment=shipment, place_ref=payload.place, requested_by=RequestedBy.STAFF
        )
    except ValidationError as error:
        return _problem(error)
    return Status(201 if created else 200, record)


@router.post(
    "/{shipment_id}/reschedule",
    response={200: RescheduleOut, 201: RescheduleOut, 404: Problem, 409: Problem, 422: Problem},
    summary="Deliver the parcel on another day",
    description="A day from tomorrow up to the merchant's limit (ExceptionRules).",
)
def reschedule_parcel(request: HttpRequest, shipment_id: QueryId, payload: RescheduleIn):
    shipment = get_shipment_for_merchant(request.api_merchant, shipment_id)
    rules = shopper_actions.get_rules(request.api_merchant)
    try:
        record, created = reschedule.reschedule(
            shipment=shipment,
            day=payload.day,
            requested_by=RequestedBy.STAFF,
            max_days=rules.max_reschedule_days,
        )
    except ValidationError as error:
        return _problem(error)
    return Status(201 if created else 200, record)
