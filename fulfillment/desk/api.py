"""Ship runs API, mounted at /api/v1/ship-runs: start one (order ids or the order list's
filter) and follow it; download its PDF (labels, then packing slips) and ZPL when done.

Errors are JSON problems: 422 `invalid` (field named: `order_ids`, `filter`, `service_id`),
409 `not_ready` for a file asked for before the run has printed it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest
from ninja import Field, Router, Schema, Status

from fulfillment.desk.services import ship_runs
from fulfillment.models import CourierService, ShipRun, ShipRunItem
from merchant.api.fields import Id, InputSchema, Problem, QueryId
from merchant.models import StoragePoint, get_for_merchant_or_404

router = Router(tags=["ship runs"])

StatusName = Literal["received", "allocated", "picked", "packed"]
ServiceLevel = Literal["same_day", "next_day", "economy"]


class ShipRunFilterIn(InputSchema):
    """The order list's filters; every order matching all of them is in the run."""

    status: StatusName | None = None
    point_id: Id | None = None
    service_level: ServiceLevel | None = None
    zip_prefix: str = Field("", max_length=10, description="Normalised or entered ZIP prefix.")
    state: str = Field("", max_length=40)
    country: str = Field("", max_length=2, description="ISO 3166 alpha-2, like US.")
    tag: str = Field("", max_length=40)


class ShipRunIn(InputSchema):
    order_ids: list[Id] | None = Field(
        None, max_length=ship_runs.MAX_ORDERS, description="The orders to ship (or `filter`)."
    )
    filter: ShipRunFilterIn | None = Field(None, description="Every order matching it.")
    service_id: Id | None = Field(
        None, description="One courier service for every order; default: the rule's choice."
    )


class ShipRunItemOut(Schema):
    order_id: int
    reference: str
    state: str
    error: str
    shipment_id: int | None
    tracking_number: str

    @staticmethod
    def resolve_reference(obj: ShipRunItem) -> str:
        return obj.order.reference

    @staticmethod
    def resolve_tracking_number(obj: ShipRunItem) -> str:
        return obj.shipment.tracking_number if obj.shipment_id else ""


class ShipRunOut(Schema):
    id: int
    state: str = Field(description="queued, running, succeeded or failed (the job's state).")
    progress_done: int
    progress_total: int
    message: str
    description: str
    service_id: int | None
    total: int
    booked: int
    failed: int
    skipped: int
    created_at: dt.datetime
    finished_at: dt.datetime | None
    pdf_ready: bool
    items: list[ShipRunItemOut]

    @staticmethod
    def resolve_state(obj: ShipRun) -> str:
        return obj.job.state if obj.job_id else "succeeded"

    @staticmethod
    def resolve_progress_done(obj: ShipRun) -> int:
        return obj.job.done if obj.job_id else 0

    @staticmethod
    def resolve_progress_total(obj: ShipRun) -> int:
        return obj.job.total if obj.job_id else 0

    @staticmethod
    def resolve_message(obj: ShipRun) -> str:
        return obj.job.error or obj.job.message if obj.job_id else ""

    @staticmethod
    def resolve_pdf_ready(obj: ShipRun) -> bool:
        return bool(obj.pdf)

    @staticmethod
    def resolve_items(obj: ShipRun) -> list:
        return list(obj.items.select_related("order", "shipment"))


class ShipRunProblem(Problem):
    errors: dict[str, list[str]] | None = None


def _problem(status: int, code: str, detail: str, field: str | None = None) -> Status:
    return Status(status, {"status": status, "code": code, "detail": detail, "field": field})


def _invalid(error: ValidationError, default_field: str) -> Status:
    field = default_field
    if hasattr(error, "error_dict"):
        name = next(iter(error.error_dict))
        field = {"order_ids": default_field, "service": "service_id"}.get(name, name)
    return _problem(422, "invalid", " ".join(error.messages), field)


def _run(request: HttpRequest, run_id: int) -> ShipRun:
    run = get_for_merchant_or_404(ShipRun, request.api_merchant, run_id)
    if run.job_id and run.job.is_finished:
        ship_runs.refresh_counts(run)
    return run


@router.post(
    "",
    response={202: ShipRunOut, 422: ShipRunProblem},
    summary="Ship many orders: book each in the background, then one PDF and one ZPL",
    description="Give `order_ids` or a `filter` (not both). Orders that cannot ship (not "
    "ready, already shipped or labelled, an address problem) are items in state `skipped` with "
    "the reason. Each order is booked with the merchant's rule's service, or `service_id` for "
    "all; follow the run with GET until `state` is `succeeded`, then download `labels.pdf` "
    "(labels, then packing slips, in pick order) and `labels.zpl`. 422 `invalid` for an "
    "empty selection, more than 1000 orders, an order id that is not yours, or a service "
    "that is not yours or is switched off.",
)
def create_ship_run(request: HttpRequest, payload: ShipRunIn):
    merchant = request.api_merchant
    if (payload.order_ids is None) == (payload.filter is None):
        return _problem(422, "invalid", "Give either order_ids or filter.", "order_ids")
    service = None
    if payload.service_id is not None:
        service = (
            CourierService.objects.filter(account__merchant=merchant, pk=payload.service_id)
            .select_related("account")
            .first()
        )
        if service is None:
            return _problem(422, "invalid", "No such courier service.", "service_id")
    filters = None
    if payload.filter is not None:
        data = payload.filter.model_dump()
        point_id = data.pop("point_id")
        data = {name: value or "" for name, value in data.items()}
        if point_id is not None:
            point = StoragePoint.objects.for_merchant(merchant).filter(pk=point_id).first()
            if point is None:
                return _problem(422, "invalid", "No such storage point.", "filter.point_id")
            data["point"] = point
        filters = data
    try:
        run = ship_runs.start_ship_run(
            merchant=merchant,
            order_ids=payload.order_ids,
            filters=filters,
            service=service,
            description="Through the API",
        )
    except ValidationError as error:
        return _invalid(error, "filter" if filters is not None else "order_ids")
    return Status(202, _run(request, run.pk))


@router.get("/{run_id}", response=ShipRunOut, summary="A ship run: progress, counts, items")
def get_ship_run(request: HttpRequest, run_id: QueryId):
    return _run(request, run_id)


def _file(request: HttpRequest, run_id: int, kind: str):
    run = _run(request, run_id)
    field = run.pdf if kind == "pdf" else (run.label_batch.zpl if run.label_batch_id else None)
    if not field:
        return _problem(409, "not_ready", "The run has not printed its labels yet.", "run_id")
    content_type = "application/pdf" if kind == "pdf" else "application/zpl"
    return FileResponse(
        field.open("rb"), content_type=content_type, filename=f"ship-run-{run.pk}.{kind}"
    )


@router.get(
    "/{run_id}/labels.pdf",
    response={200: None, 409: ShipRunProblem},
    summary="The run's PDF: every label, then every packing slip, in pick order",
)
def ship_run_pdf(request: HttpRequest, run_id: QueryId):
    return _file(request, run_id, "pdf")


@router.get(
    "/{run_id}/labels.zpl",
    response={200: None, 409: ShipRunProblem},
    summary="The run's labels as ZPL (4x6, 203 dpi)",
)
def ship_run_zpl(request: HttpRequest, run_id: QueryId):
    return _file(request, run_id, "zpl")
