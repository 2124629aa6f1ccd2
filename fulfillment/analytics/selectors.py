"""The analytics report, read from the daily rollups only (never from raw events)."""

from __future__ import annotations

from fulfillment.analytics.filters import AnalyticsFilters
from fulfillment.analytics.report import SECTION_FIGURES, AnalyticsReport, Section
from merchant.models import Merchant


def build_report(merchant: Merchant, filters: AnalyticsFilters) -> AnalyticsReport:
    previous = filters.previous()
    report = AnalyticsReport(
        merchant_id=merchant.pk,
        currency=merchant.currency,
        date_from=filters.date_from.isoformat(),
        date_to=filters.date_to.isoformat(),
        previous_from=previous.date_from.isoformat(),
        previous_to=previous.date_to.isoformat(),
        filters=filters.as_query(),
    )
    for name, figures in SECTION_FIGURES.items():
        setattr(
            report,
            name,
            Section(figures=dict.fromkeys(figures, 0), previous=dict.fromkeys(figures, 0)),
        )
    return report
