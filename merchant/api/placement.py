"""Placement plans over the API: request one, follow it, accept it."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from merchant.api.fields import Id, InputSchema, Page, QueryId
from merchant.models import PlacementPlan
from merchant.selectors.placement import get_plan_for_merchant
from merchant.services import placement

router = Router(tags=["placement"])


class PlanIn(InputSchema):
    mode: Literal["pmedian", "cost"] = "pmedian"
    k: int = Field(2, ge=1, le=50, strict=True)
    candidate_ids: list[Id] = Field([], max_length=500)
    history_days: int = Field(placement.DEFAULT_HISTORY_DAYS, ge=14, le=730, strict=True)
    cover_days: int = Field(placement.DEFAULT_COVER_DAYS, ge=1, le=120, strict=True)


class PlanOut(Schema):
    id: int
    status: str
    job_id: int | None
    params: dict[str, Any]
    metrics_today: dict[str, Any]
    metrics_plan: dict[str, Any]
    result: dict[str, Any]
    error: str
    created_at: datetime
    accepted_at: datetime | None


class AcceptOut(Schema):
    plan: PlanOut
    transfer_ids: list[int]


@router.post("/plans", response={202: PlanOut}, summary="Compute a placement plan (a job)")
def create_plan(request: HttpRequest, payload: PlanIn):
    plan = placement.request_plan(
        merchant=request.api_merchant,
        params=placement.PlanParams(
            **{**payload.dict(), "candidate_ids": tuple(payload.candidate_ids)}
        ),
    )
    return Status(202, plan)


@router.get("/plans", response=list[PlanOut], summary="Placement plans, newest first")
@paginate(Page)
def list_plans(request: HttpRequest):
    return PlacementPlan.objects.for_merchant(request.api_merchant)


@router.get("/plans/{plan_id}", response=PlanOut, summary="One plan with its expected effect")
def get_plan(request: HttpRequest, plan_id: QueryId):
    return get_plan_for_merchant(request.api_merchant, plan_id)


@router.post(
    "/plans/{plan_id}/accept",
    response=AcceptOut,
    summary="Accept a ready plan: open its points and create the transfers",
)
def accept_plan(request: HttpRequest, plan_id: QueryId):
    plan = get_plan_for_merchant(request.api_merchant, plan_id)
    made = placement.accept_plan(plan=plan)
    plan.refresh_from_db()
    return {"plan": plan, "transfer_ids": [t.pk for t in made]}
