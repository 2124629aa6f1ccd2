"""Demand endpoints: daily order history and the forecast, for the whole shop or an area."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from merchant.api.fields import InputSchema
from merchant.selectors.demand import daily_orders, forecast_area, parse_area

router = Router(tags=["demand"])


class ForecastQuery(InputSchema):
    area: str = Field("", description="A ZIP (60614) or a ZIP prefix (606xx); empty: all.")
    horizon: int = Field(28, ge=1, le=90, description="Days ahead, from today.")


class ForecastDay(Schema):
    date: dt.date
    mean: float
    lower: float
    upper: float


class ForecastOut(Schema):
    area: str | None
    method: str
    level: float
    days: list[ForecastDay]


class HistoryQuery(InputSchema):
    days: int = Field(90, ge=1, le=730, description="Days before today.")
    area: str = Field("", description="A ZIP (60614) or a ZIP prefix (606xx); empty: all.")


class HistoryDay(Schema):
    date: dt.date
    orders: int
    units: int


class HistoryOut(Schema):
    area: str | None
    days: list[HistoryDay]


@router.get("/forecast", response=ForecastOut, summary="Daily order forecast with its band")
def get_forecast(request: HttpRequest, query: Query[ForecastQuery]):
    area = parse_area(query.area)
    days, forecast = forecast_area(request.api_merchant, area=area, horizon=query.horizon)
    return {
        "area": area,
        "method": forecast.method,
        "level": forecast.level,
        "days": [
            {"date": day, **{k: round(v, 2) for k, v in row.items()}}
            for day, row in zip(days, forecast.as_rows(), strict=True)
        ],
    }


@router.get("/history", response=HistoryOut, summary="Orders and units per day")
def get_history(request: HttpRequest, query: Query[HistoryQuery]):
    area = parse_area(query.area)
    series = daily_orders(request.api_merchant, days=query.days, area=area)
    return {
        "area": area,
        "days": [
            {"date": day, "orders": int(o), "units": int(u)}
            for day, o, u in zip(series.days, series.orders, series.units, strict=True)
        ],
    }
