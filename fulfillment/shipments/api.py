"""Shipments API: the list and each shipment's label. Mounted at /api/v1/shipments beside the
tracking router (fulfillment/tracking/api.py), which owns /{shipment_id}/tracking.

Errors are JSON problems: 422 `invalid` (bad size, format or filter, field named), 409
`no_tracking_number` (the shipment is not booked yet, so there is no barcode to print).
"""

import datetime as dt
import zoneinfo
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from fulfillment.labels.services.labels import CannotPrint, label_for
from fulfillment.models import Shipment
from fulfillment.shipments.services.voiding import CannotVoid, void_shipment
from fulfillment.tracking.selectors import get_shipment_for_merchant
from merchant.api.fields import InputSchema, Page, QueryId

router = Router(tags=["shipments"])

StatusName = Literal[
    "pending",
    "info_received",
    "in_transit",
    "out_for_delivery",
    "failed_attempt",
    "available_for_pickup",
    "delivered",
    "exception",
    "expired",
    "returned",
]


class ShipmentProblemOut(Schema):
    status: int
    code: str
    detail: str
    field: str | None = None


class ShipmentFilters(InputSchema):
    status: StatusName | None = None
    date: dt.date | None = None  # the merchant's local day the shipment was created


class ShipmentOut(Schema):
    id: int
    tracking_number: str
    status: str
    courier: str
    service: str
    order_id: int
    order_reference: str
    is_return: bool
    has_courier_label: bool
    created_at: dt.datetime
    booked_at: dt.datetime | None
    voided_at: dt.datetime | None = None
    refund_state: str = ""
    refund_minor: int | None = None
    box: str | None = None
    weight_g: int | None = None
    measured_weight_g: int | None = None

    @staticmethod
    def resolve_box(obj: Shipment) -> str | None:
        return obj.box.name if obj.box_id else None

    @staticmethod
    def resolve_courier(obj: Shipment) -> str:
        return obj.account.name

    @staticmethod
    def resolve_service(obj: Shipment) -> str:
        return obj.service.name

    @staticmethod
    def resolve_order_reference(obj: Shipment) -> str:
        return obj.order.reference


def problem(status: int, code: str, detail: str, field: str | None = None) -> Status:
    return Status(status, {"status": status, "code": code, "detail": detail, "field": field})


@router.get("", response=list[ShipmentOut], summary="Shipments, newest first")
@paginate(Page)
def list_shipments(request: HttpRequest, filters: Query[ShipmentFilters]):
    merchant = request.api_merchant
    shipments = Shipment.objects.for_merchant(merchant).select_related(
        "account", "service", "order", "box"
    )
    if filters.status:
        shipments = shipments.filter(status=filters.status)
    if filters.date:
        tz = zoneinfo.ZoneInfo(merchant.time_zone or "UTC")
        start = dt.datetime.combine(filters.date, dt.time.min, tzinfo=tz)
        shipments = shipments.filter(created_at__gte=start, created_at__lt=start + dt.timedelta(1))
    return shipments.order_by("-created_at", "-pk")


@router.get(
    "/{shipment_id}/label",
    response={200: None, 409: ShipmentProblemOut, 422: ShipmentProblemOut},
    summary="A shipment's label as PDF or ZPL",
    description="The courier's own label when it gave one in the asked format; "
    "`source=nearbox` renders Nearbox's instead. ZPL is the 4x6 label for 203 dpi printers. "
    "409 `no_tracking_number` until the shipment is booked.",
)
def shipment_label(
    request: HttpRequest,
    shipment_id: QueryId,
    size: Literal["4x6", "a6", "a4"] = "4x6",
    format: Literal["pdf", "zpl"] = "pdf",
    source: Literal["auto", "nearbox"] = "auto",
):
    shipment = get_shipment_for_merchant(request.api_merchant, shipment_id)
    try:
        label = label_for(shipment, size=size, fmt=format, source=source)
    except CannotPrint as error:
        code = "voided" if "shipment" in getattr(error, "error_dict", {}) else "no_tracking_number"
        field = "shipment" if code == "voided" else "tracking_number"
        return problem(409, code, " ".join(error.messages), field)
    except ValidationError as error:
        field = next(iter(error.message_dict), None) if hasattr(error, "error_dict") else None
        return problem(422, "invalid", " ".join(error.messages), field)
    response = HttpResponse(label.content, content_type=label.content_type)
    response["Content-Disposition"] = f'inline; filename="{label.filename}"'
    # A plain str: wsgiref (runserver) refuses header values of any other type, enums included.
    response["X-Label-Source"] = str(label.source)
    return response


@router.post(
    "/{shipment_id}/void",
    response={200: ShipmentOut, 409: ShipmentProblemOut, 503: ShipmentProblemOut},
    summary="Void a shipment's label before hand-over",
    description="Cancels the booking with the courier where its API takes cancellations (else "
    "the label is only marked void: `refund_state` `call`), stops tracking and leaves the order "
    "ready to ship again with its stock still reserved. Voiding a voided shipment answers it "
    "again. 409 `too_late_to_void` once the courier has the parcel, `courier_refused` when the "
    "courier says no, `not_voidable` for a return or a cancelled shipment; 503 "
    "`courier_unavailable` when the courier cannot be reached (nothing changed: try again).",
)
def void_shipment_endpoint(request: HttpRequest, shipment_id: QueryId):
    shipment = get_shipment_for_merchant(request.api_merchant, shipment_id)
    try:
        shipment = void_shipment(shipment=shipment, by=None)
    except CannotVoid as error:
        status = 503 if error.problem_code == "courier_unavailable" else 409
        return problem(status, error.problem_code, " ".join(error.messages), "shipment")
    return Status(200, get_shipment_for_merchant(request.api_merchant, shipment.pk))
