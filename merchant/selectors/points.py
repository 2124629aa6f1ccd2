"""Reads about storage points: the scoped lookup, the stock held at a point, the map's data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from merchant.models import (
    DemandRecord,
    Merchant,
    StockLevel,
    StoragePoint,
    get_for_merchant_or_404,
)

MAP_DEMAND_DAYS = 90
# Heat cells are grouped by exact coordinates (mostly postal-code centroids); past this many
# the smallest are dropped, so a page never embeds an unbounded blob.
MAP_DEMAND_MAX_CELLS = 5000


def get_point_for_merchant(merchant: Merchant, point_id: object) -> StoragePoint:
    return get_for_merchant_or_404(StoragePoint, merchant, point_id)


def points_for_merchant(merchant: Merchant) -> QuerySet[StoragePoint]:
    return StoragePoint.objects.for_merchant(merchant).order_by("name", "pk")


@dataclass(frozen=True)
class PointStock:
    levels: list[StockLevel]  # the top products by units on hand, each with .available
    products: int
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def more(self) -> int:
        return self.products - len(self.levels)


def stock_at_point(point: StoragePoint, *, limit: int = 20) -> PointStock:
    """Units on hand / reserved / available per product at a point, largest first, + totals."""
    levels = StockLevel.objects.for_merchant(point.merchant).filter(point=point, on_hand__gt=0)
    totals = levels.aggregate(
        products=Count("pk"),
        on_hand=Coalesce(Sum("on_hand"), 0),
        reserved=Coalesce(Sum("reserved"), 0),
    )
    top = list(
        levels.select_related("product").order_by(F("on_hand").desc(), "product__sku")[:limit]
    )
    return PointStock(
        levels=top,
        products=totals["products"],
        on_hand=totals["on_hand"],
        reserved=totals["reserved"],
    )


def points_map_data(merchant: Merchant, *, today: date | None = None) -> dict:
    """Everything the map page draws, embedded in the page as JSON: the points with
    coordinates, order destinations of the last 90 days weighted by units, and tiles."""
    today = today or timezone.localdate()
    points = [
        {
            "id": point.pk,
            "name": point.name,
            "lat": point.latitude,
            "lon": point.longitude,
            "kind": point.get_kind_display(),
            "role": point.role,
            "is_active": point.is_active,
            "state": map_state(point),
            "url": reverse("point_detail", args=[point.pk]),
        }
        for point in points_for_merchant(merchant).filter(latitude__isnull=False)
    ]
    since = today - timedelta(days=MAP_DEMAND_DAYS)
    cells = (
        DemandRecord.objects.for_merchant(merchant)
        .filter(ordered_on__gt=since, ordered_on__lte=today)
        .values("latitude", "longitude")
        .annotate(units=Sum("units"))
        .order_by("-units", "latitude", "longitude")[:MAP_DEMAND_MAX_CELLS]
    )
    demand = [[c["latitude"], c["longitude"], c["units"]] for c in cells]
    return {
        "points": points,
        "demand": demand,
        "demand_days": MAP_DEMAND_DAYS,
        "demand_units": sum(cell[2] for cell in demand),
        "tiles": {
            "url": getattr(settings, "NEARBOX_MAP_TILES_URL", "") or "",
            "attribution": getattr(settings, "NEARBOX_MAP_TILES_ATTRIBUTION", "") or "",
        },
    }


def map_state(point: StoragePoint) -> str:
    """How the map draws a point: a candidate, else active or inactive."""
    if point.role == StoragePoint.Role.CANDIDATE:
        return "candidate"
    return "active" if point.is_active else "inactive"
