"""Returns API, mounted at /api/v1/returns: the shoppers' return requests, and approving,
rejecting and receiving them (the same services as the Returns page). Approve and reject take
an optional `note` in the query string.

Errors are JSON problems: 404 `not_found` (also for another merchant's return), 409
`wrong_state` (approve a received return, receive a rejected one…), 422 `invalid` (a
courier that could not book the return label, a note too long)."""

import datetime as dt
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import WithJsonSchema

from fulfillment.models.returns import ReturnRequest
from fulfillment.returns import selectors
from fulfillment.returns.services import requests as services
from merchant.api.fields import InputSchema, Page, Problem, QueryId, Text

router = Router(tags=["returns"])

StateName = Literal["requested", "approved", "rejected", "received"]


class ReturnFilters(InputSchema):
    state: StateName | None = None


class ReturnLineOut(Schema):
    line_id: int
    sku: str
    quantity: int


class ReturnOut(Schema):
    id: int
    order_id: int
    order_reference: str
    state: StateName
    method: Literal["label", "dropoff"]
    reason: str
    comment: str
    note: str
    point_id: int
    shipment_id: int | None
    tracking_number: str
    dropoff_code: str
    created_at: dt.datetime
    decided_at: dt.datetime | None
    received_at: dt.datetime | None
    lines: list[ReturnLineOut]

    @staticmethod
    def resolve_order_reference(obj: ReturnRequest) -> str:
        return obj.order.reference

    @staticmethod
    def resolve_tracking_number(obj: ReturnRequest) -> str:
        return obj.shipment.tracking_number if obj.shipment else ""

    @staticmethod
    def resolve_lines(obj: ReturnRequest) -> list[dict]:
        return [
            {"line_id": rl.line_id, "sku": rl.line.product.sku, "quantity": rl.quantity}
            for rl in obj.lines.all()
        ]


# A query parameter, not a body: a bare POST (no JSON at all) approves or rejects.
NOTE_MAX = 500
Note = Annotated[
    Text,
    WithJsonSchema(
        {"type": "string", "maxLength": 500, "description": "Staff's note on the decision."}
    ),
]


def _problem(error: ValidationError) -> Status:
    field = next(iter(error.message_dict), None) if hasattr(error, "error_dict") else None
    status, code = (
        (409, "wrong_state") if isinstance(error, services.ReturnNotAllowed) else (422, "invalid")
    )
    return Status(
        status, {"status": status, "code": code, "detail": " ".join(error.messages), "field": field}
    )


def _note_problem(note: str) -> Status | None:
    # Checked here: django-ninja drops a length constraint on a query parameter.
    if len(note) <= NOTE_MAX:
        return None
    detail = f"A note is at most {NOTE_MAX} characters."
    return Status(422, {"status": 422, "code": "invalid", "detail": detail, "field": "note"})


def _fresh(request: HttpRequest, found: ReturnRequest) -> ReturnRequest:
    return selectors.get_return_for_merchant(request.api_merchant, found.pk)


@router.get("", response=list[ReturnOut], summary="Return requests, newest first")
@paginate(Page)
def list_returns(request: HttpRequest, filters: Query[ReturnFilters]):
    return selectors.returns_for_merchant(request.api_merchant, state=filters.state or "")


@router.get("/{return_id}", response={200: ReturnOut, 404: Problem}, summary="One return request")
def get_return(request: HttpRequest, return_id: QueryId):
    return selectors.get_return_for_merchant(request.api_merchant, return_id)


ACTION_RESPONSES = {200: ReturnOut, 404: Problem, 409: Problem, 422: Problem}


@router.post(
    "/{return_id}/approve",
    response=ACTION_RESPONSES,
    summary="Approve a return",
    description="Books the return label (label method) or issues the drop-off code. "
    "Approving an approved return changes nothing.",
)
def approve(request: HttpRequest, return_id: QueryId, note: Note = ""):
    found = selectors.get_return_for_merchant(request.api_merchant, return_id)
    if problem := _note_problem(note):
        return problem
    try:
        done = services.approve_return(merchant=request.api_merchant, request=found, note=note)
    except ValidationError as error:
        return _problem(error)
    return _fresh(request, done)


@router.post(
    "/{return_id}/reject",
    response=ACTION_RESPONSES,
    summary="Reject a return",
    description="Only a request still waiting for approval can be rejected.",
)
def reject(request: HttpRequest, return_id: QueryId, note: Note = ""):
    found = selectors.get_return_for_merchant(request.api_merchant, return_id)
    if problem := _note_problem(note):
        return problem
    try:
        done = services.reject_return(merchant=request.api_merchant, request=found, note=note)
    except ValidationError as error:
        return _problem(error)
    return _fresh(request, done)


@router.post(
    "/{return_id}/receive",
    response=ACTION_RESPONSES,
    summary="Receive a returned parcel",
    description="The order becomes returned and the returned units go back into stock at "
    "the return's storage point, exactly once: receiving again changes nothing.",
)
def receive(request: HttpRequest, return_id: QueryId):
    found = selectors.get_return_for_merchant(request.api_merchant, return_id)
    try:
        done = services.receive_return(merchant=request.api_merchant, request=found)
    except ValidationError as error:
        return _problem(error)
    return _fresh(request, done)
