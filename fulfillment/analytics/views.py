"""The Analytics page: the filter form, then one report (build_report, read from the daily
rollups) drawn by page.py as figures with their change against the previous period, trend
lines, bars, delivery-days histograms and the failed-attempt ZIP map, each with its numbers in
a table; and the CSV of the same filters. An htmx request gets the page's body fragment and the
URL of the filters it shows."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from fulfillment.analytics.export import csv_response
from fulfillment.analytics.forms import PRESETS, AnalyticsFilterForm
from fulfillment.analytics.page import page_series, report_context
from fulfillment.analytics.selectors import build_report
from merchant.decorators import merchant_required

NAV = "analytics"


@merchant_required
@require_GET
def analytics(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant
    form = AnalyticsFilterForm(request.GET, merchant=merchant)
    context: dict[str, Any] = {"form": form, "nav_active": NAV}
    if form.is_valid():
        report = build_report(merchant, form.filters)
        series = page_series(merchant, form.filters, report)
        query = urlencode({**form.filters.as_query(), **_compare_query(form.with_previous)})
        context.update(
            report_context(report, merchant, compare=form.with_previous, series=series),
            query=query,
            export_url=f"{reverse('analytics_export')}?{query}",
        )
        status = 200
    else:
        status = 400
    context["preset_links"] = _preset_links(request, form)
    if not request.htmx:
        return render(request, "fulfillment/analytics/index.html", context, status=status)
    # htmx swaps only a 2xx answer: the form with its errors must still reach the page.
    response = render(request, "fulfillment/analytics/_body.html", context)
    response["HX-Push-Url"] = (
        f"{reverse('analytics')}?{context['query']}" if status == 200 else "false"
    )
    return response


@merchant_required
@require_GET
def analytics_export(request: HttpRequest) -> HttpResponse:
    """The CSV of the daily rows under the page's filters (export.py); bad filters are a 400
    in words, like the page's."""
    form = AnalyticsFilterForm(request.GET, merchant=request.merchant)
    if not form.is_valid():
        errors = "; ".join(f"{name}: {' '.join(e)}" for name, e in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    return csv_response(request.merchant, form.filters)


def _preset_links(request: HttpRequest, form: AnalyticsFilterForm) -> list[dict]:
    """ "Last 7/30/90 days" as links keeping the other filters (links, not submit buttons: the
    first submit button is what Enter in a field presses). The current one is marked when the
    period is exactly it, ending today."""
    query = request.GET.copy()
    for name in ("date_from", "date_to", "preset"):
        query.pop(name, None)
    filters = form.filters if form.is_valid() else None
    links = []
    for days in PRESETS:
        query["preset"] = str(days)
        links.append(
            {
                "days": days,
                "url": f"{reverse('analytics')}?{query.urlencode()}",
                "current": filters is not None
                and filters.days == days
                and filters.date_to == form.today,
            }
        )
    return links


def _compare_query(compare: bool) -> dict[str, str]:
    return {} if compare else {"compare": "none"}
