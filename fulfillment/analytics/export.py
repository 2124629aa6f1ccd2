"""The analytics CSV: one line per local day of the period under the filters, with every figure
of the report for that day (money in minor units; shares as fractions). Read from the rollups."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse

from fulfillment.analytics.filters import AnalyticsFilters
from fulfillment.analytics.report import FIGURES
from fulfillment.analytics.selectors import daily_figures
from merchant.models import Merchant

COLUMNS = ("day", "currency", *FIGURES)


def export_csv(merchant: Merchant, filters: AnalyticsFilters) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for day in daily_figures(merchant, filters):
        writer.writerow(
            [day["day"], merchant.currency]
            + ["" if day[name] is None else day[name] for name in FIGURES]
        )
    return out.getvalue()


def filename(filters: AnalyticsFilters) -> str:
    return f"analytics-{filters.date_from.isoformat()}-{filters.date_to.isoformat()}.csv"


def csv_response(merchant: Merchant, filters: AnalyticsFilters) -> HttpResponse:
    """What the page's export link and the API return."""
    response = HttpResponse(export_csv(merchant, filters), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename(filters)}"'
    return response
