"""Outgoing webhooks API, mounted at /api/v1/webhooks: the same as Settings → Integrations.

The signing secret is in the answer of a create or a rotate only. Errors are JSON problems:
404 `not_found`, 409 `busy` (a delivery being sent), 422 `invalid` with the field.
"""

import datetime as dt
from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StringConstraints

from integrations.models import WebhookDelivery
from integrations.webhooks import selectors
from integrations.webhooks.events import EVENT_TYPES
from integrations.webhooks.services import deliveries, endpoints
from integrations.webhooks.services.endpoints import MAX_DESCRIPTION
from integrations.webhooks.targets import MAX_URL
from merchant.api.fields import InputSchema, Page, Problem, QueryId

router = Router(tags=["webhooks"])

Url = Annotated[str, StringConstraints(max_length=MAX_URL)]
EventName = Annotated[str, StringConstraints(max_length=40)]
Description = Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION)]
EventNames = Annotated[list[EventName], Field(min_length=1, max_length=len(EVENT_TYPES) * 2)]


class EventTypeOut(Schema):
    type: str
    description: str


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    is_active: bool
    disabled_reason: str
    consecutive_failures: int
    secret_hint: str = Field(..., description="The secret's last characters; never the secret.")
    created_at: dt.datetime


class EndpointWithSecretOut(EndpointOut):
    secret: str = Field(..., description="The signing secret: shown in this answer only.")


class EndpointIn(InputSchema):
    url: Url
    events: EventNames = Field(..., description=f"Any of: {', '.join(EVENT_TYPES)}.")
    description: Description = ""


class EndpointPatch(InputSchema):
    url: Url | None = None
    events: EventNames | None = None
    description: Description | None = None


class DeliveryOut(Schema):
    id: int
    event_id: int
    event_type: str
    endpoint_id: int
    state: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_error: str
    delivered_at: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_event_type(obj: WebhookDelivery) -> str:
        return obj.event.type

    @staticmethod
    def resolve_next_attempt_at(obj: WebhookDelivery) -> dt.datetime | None:
        return obj.next_attempt_at if obj.state == WebhookDelivery.State.PENDING else None


def _problem(status: int, code: str, error: ValidationError) -> Status:
    field = next(iter(error.message_dict), None) if hasattr(error, "error_dict") else None
    return Status(
        status, {"status": status, "code": code, "detail": " ".join(error.messages), "field": field}
    )


def _with_secret(new: endpoints.NewSecret) -> dict:
    return {**EndpointOut.from_orm(new.endpoint).dict(), "secret": new.secret}


@router.get("/event-types", response=list[EventTypeOut], summary="Events an endpoint can receive")
def list_event_types(request: HttpRequest):
    return [{"type": name, "description": text} for name, text in EVENT_TYPES.items()]


@router.get("/endpoints", response=list[EndpointOut], summary="The shop's webhook endpoints")
def list_endpoints(request: HttpRequest):
    return list(selectors.endpoints_of(request.api_merchant))


@router.post(
    "/endpoints",
    response={201: EndpointWithSecretOut, 422: Problem},
    summary="Add an endpoint (the answer carries its signing secret, once)",
)
def create_endpoint(request: HttpRequest, payload: EndpointIn):
    try:
        new = endpoints.create_endpoint(merchant=request.api_merchant, **payload.dict())
    except ValidationError as error:
        return _problem(422, "invalid", error)
    return Status(201, _with_secret(new))


@router.get("/endpoints/{endpoint_id}", response=EndpointOut, summary="One endpoint")
def get_endpoint(request: HttpRequest, endpoint_id: QueryId):
    return selectors.get_endpoint_for_merchant(request.api_merchant, endpoint_id)


@router.patch(
    "/endpoints/{endpoint_id}",
    response={200: EndpointOut, 422: Problem},
    summary="Change an endpoint's URL, events or description",
)
def update_endpoint(
    request: HttpRequest, endpoint_id: QueryId, payload: EndpointPatch | None = None
):
    endpoint = selectors.get_endpoint_for_merchant(request.api_merchant, endpoint_id)
    changes = payload.dict(exclude_unset=True) if payload else {}
    values = {
        "url": endpoint.url,
        "events": endpoint.events,
        "description": endpoint.description,
        **{k: v for k, v in changes.items() if v is not None},
    }
    try:
        return endpoints.update_endpoint(endpoint=endpoint, **values)
    except ValidationError as error:
        return _problem(422, "invalid", error)


@router.delete(
    "/endpoints/{endpoint_id}", response={204: None}, summary="Delete an endpoint and its log"
)
def delete_endpoint(request: HttpRequest, endpoint_id: QueryId):
    endpoint = selectors.get_endpoint_for_merchant(request.api_merchant, endpoint_id)
    endpoints.delete_endpoint(endpoint=endpoint)
    return Status(204, None)


@router.post(
    "/endpoints/{endpoint_id}/rotate-secret",
    response=EndpointWithSecretOut,
    summary="A new signing secret (in this answer only); the old one stops verifying",
)
def rotate_secret(request: HttpRequest, endpoint_id: QueryId):
    endpoint = selectors.get_endpoint_for_merchant(request.api_merchant, endpoint_id)
    return _with_secret(endpoints.rotate_secret(endpoint=endpoint))


@router.post("/endpoints/{endpoint_id}/disable", response=EndpointOut, summary="Stop sending")
def disable_endpoint(request: HttpRequest, endpoint_id: QueryId):
    endpoint = selectors.get_endpoint_for_merchant(request.api_merchant, endpoint_id)
    endpoints.disable_endpoint(endpoint=endpoint)
    return endpoint


@router.post(
    "/endpoints/{endpoint_id}/enable",
    response=EndpointOut,
    summary="Send again (waiting deliveries go out, in order)",
)
def enable_endpoint(request: HttpRequest, endpoint_id: QueryId):
    endpoint = selectors.get_endpoint_for_merchant(request.api_merchant, endpoint_id)
    return endpoints.enable_endpoint(endpoint=endpoint)


@router.post(
    "/endpoints/{endpoint_id}/test",
    response=DeliveryOut,
    summary="POST a `ping` event now and answer with the delivery (its status code)",
)
def send_test_event(request: HttpRequest, endpoint_id: QueryId):
    endpoint = selectors.get_endpoint_for_merchant(request.api_merchant, endpoint_id)
    return deliveries.send_test_event(endpoint=endpoint).delivery


@router.get(
    "/endpoints/{endpoint_id}/deliveries",
    response=list[DeliveryOut],
    summary="The endpoint's delivery log, newest first",
)
@paginate(Page)
def list_deliveries(request: HttpRequest, endpoint_id: QueryId):
    endpoint = selectors.get_endpoint_for_merchant(request.api_merchant, endpoint_id)
    return selectors.delivery_log(endpoint)


@router.post(
    "/deliveries/{delivery_id}/resend",
    response={202: DeliveryOut, 409: Problem, 422: Problem},
    summary="Send a delivery again",
)
def resend_delivery(request: HttpRequest, delivery_id: QueryId):
    delivery = selectors.get_delivery_for_merchant(request.api_merchant, delivery_id)
    try:
        return Status(202, deliveries.resend(delivery=delivery))
    except deliveries.DeliveryBusy as error:
        return _problem(409, "busy", error)
    except ValidationError as error:
        return _problem(422, "invalid", error)
