"""Address risk API, mounted at /api/v1/address-risk (secret key): the settings (on/off and the
threshold), the model in use with its held-out metrics, what a threshold would have done last
month, training on demand, and the score an order got at intake.

Errors are JSON problems: 422 `invalid` with the field (a threshold outside 0.01-0.99, not a
number, `enabled` not a boolean), 404 `not_found` (also for another merchant's order)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from fulfillment.risk import selectors, services
from merchant.api.fields import InputSchema, Problem, QueryId

router = Router(tags=["address risk"])


class SettingsIn(InputSchema):
    enabled: bool = Field(..., strict=True)
    threshold: float = Field(..., description="Probability of failure, 0.01-0.99.")


class ModelOut(Schema):
    id: int | None
    kind: str
    created_at: dt.datetime | None
    coefficients: dict
    metrics: dict


class RiskSettingsOut(Schema):
    enabled: bool
    threshold: float
    model: ModelOut
    last_month: dict


class PreviewQuery(InputSchema):
    threshold: float


class OrderRiskOut(Schema):
    order_id: int
    score: float | None
    level: str
    reasons: list[dict]
    model_id: int | None
    scored_at: dt.datetime


def _settings_out(merchant) -> dict:
    prefs = services.get_risk_settings(merchant)
    row = services.latest_model(merchant)
    model = (
        {"id": None, "kind": "prior", "created_at": None, "coefficients": {}, "metrics": {}}
        if row is None
        else {
            "id": row.pk,
            "kind": row.kind,
            "created_at": row.created_at,
            "coefficients": row.coefficients,
            "metrics": row.metrics,
        }
    )
    return {
        "enabled": prefs.enabled,
        "threshold": prefs.threshold,
        "model": model,
        "last_month": selectors.threshold_preview(merchant, prefs.threshold),
    }


@router.get("", response={200: RiskSettingsOut, 401: Problem}, summary="Settings and model")
def get_risk(request: HttpRequest):
    return _settings_out(request.api_merchant)


@router.put(
    "/settings",
    response={200: RiskSettingsOut, 401: Problem, 422: Problem},
    summary="Switch the locker-first suggestion on or off and set its threshold",
)
def put_settings(request: HttpRequest, payload: SettingsIn):
    services.update_risk_settings(
        merchant=request.api_merchant, enabled=payload.enabled, threshold=payload.threshold
    )
    return _settings_out(request.api_merchant)


@router.get(
    "/preview",
    response={200: dict, 401: Problem, 422: Problem},
    summary="What a threshold would have done to last month's orders",
)
def preview(request: HttpRequest, q: Query[PreviewQuery]):
    threshold = services.clean_threshold(q.threshold)
    return selectors.threshold_preview(request.api_merchant, threshold)


@router.post(
    "/train",
    response={202: dict, 401: Problem},
    summary="Train the model again (in the background)",
)
def train(request: HttpRequest):
    from fulfillment.risk.tasks import train_address_risk

    merchant_id = request.api_merchant.pk
    transaction.on_commit(lambda: train_address_risk.delay(merchant_id))
    return Status(202, {"queued": True})


@router.get(
    "/orders/{order_id}",
    response={200: OrderRiskOut, 401: Problem, 404: Problem},
    summary="The address risk an order got at intake",
)
def order_risk(request: HttpRequest, order_id: QueryId):
    risk = selectors.get_order_risk_for_merchant(request.api_merchant, order_id)
    return {
        "order_id": risk.order_id,
        "score": risk.score,
        "level": risk.level,
        "reasons": risk.reasons,
        "model_id": risk.model_id,
        "scored_at": risk.scored_at,
    }
