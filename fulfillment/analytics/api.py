"""Analytics API: the report as JSON and the daily CSV, filtered by query parameters (the same
names as the page: date_from, date_to, point_id, carrier, service_id, zip, channel).

Bad filters are a 422 JSON problem `invalid_filters` naming the field; an id of another
merchant's point, account or service is refused like an unknown one.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from fulfillment.analytics.export import csv_response
from fulfillment.analytics.filters import AnalyticsFilterError, AnalyticsFilters, parse_filters
from fulfillment.analytics.selectors import build_report

router = Router(tags=["analytics"])


class AnalyticsQuery(Schema):
    date_from: str | None = None
    date_to: str | None = None
    point_id: str | None = None
    carrier: str | None = None
    service_id: str | None = None
    zip: str | None = None
    channel: str | None = None


class AnalyticsProblemOut(Schema):
    status: int
    code: str
    detail: str
    field: str | None = None
    errors: dict[str, str] = {}


def _filters(request: HttpRequest) -> AnalyticsFilters:
    return parse_filters(request.api_merchant, request.GET)


def _problem(error: AnalyticsFilterError) -> Status:
    return Status(
        422,
        {
            "status": 422,
            "code": error.code,
            "detail": error.errors[error.field],
            "field": error.field,
            "errors": error.errors,
        },
    )


@router.get(
    "",
    response={200: dict[str, Any], 422: AnalyticsProblemOut},
    summary="The analytics report: cost, performance, pickup and placement, with the previous "
    "period, daily series and breakdowns (read from daily rollups)",
)
def analytics_report(request: HttpRequest, query: Query[AnalyticsQuery]):
    try:
        filters = _filters(request)
    except AnalyticsFilterError as error:
        return _problem(error)
    # Serialised here: the report is plain ints, floats, strings and None, and running a year of
    # daily series through the response model cost more than building the report.
    body = json.dumps(build_report(request.api_merchant, filters).to_dict(), separators=(",", ":"))
    return HttpResponse(body, content_type="application/json")


@router.get(
    "/export.csv",
    response={200: None, 422: AnalyticsProblemOut},
    summary="The analytics figures per day as CSV",
)
def analytics_export(request: HttpRequest, query: Query[AnalyticsQuery]) -> HttpResponse:
    try:
        filters = _filters(request)
    except AnalyticsFilterError as error:
        return _problem(error)
    return csv_response(request.api_merchant, filters)
