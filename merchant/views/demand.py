"""The demand page: orders by day and area, the forecast with its band, spikes and advice,
and the import of a past order history."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from merchant.decorators import merchant_required
from merchant.demand.chart import demand_chart
from merchant.selectors.demand import demand_overview, has_demand
from merchant.services.demand import DemandImportInvalid, import_demand_history

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
AREAS_PER_PAGE = 20


class DemandImportForm(forms.Form):
    file = forms.FileField(
        label="Order history (CSV)",
        help_text="UTF-8 CSV with a header row <code>date,postal_code,sku,units</code>, "
        "e.g. <code>2024-11-29,60614,SKU-123,2</code>. Leave sku empty for no product. "
        "Dates as YYYY-MM-DD. Importing the same file again adds nothing.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 20 MB; split it in parts.")
        return upload


@merchant_required
@require_GET
def demand(request: HttpRequest) -> HttpResponse:
    return _render_page(request, DemandImportForm())


@merchant_required
@require_POST
def demand_import(request: HttpRequest) -> HttpResponse:
    form = DemandImportForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = import_demand_history(
                merchant=request.merchant, file=upload, filename=upload.name
            )
        except DemandImportInvalid as error:
            form.add_error("file", "Nothing was imported: fix these lines and upload again.")
            return _render_page(request, form, import_errors=error, status=422)
        if report.created:
            messages.success(
                request,
                f"Imported {report.created} orders from {report.first_day} to "
                f"{report.last_day} in {report.postal_codes} ZIP codes.",
            )
        else:
            messages.info(request, "This file was imported before; nothing was added.")
        return redirect("demand")
    return _render_page(request, form, status=422)


def _render_page(
    request: HttpRequest,
    form: DemandImportForm,
    *,
    import_errors: DemandImportInvalid | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {"form": form, "import_errors": import_errors, "nav_active": "demand"}
    if has_demand(request.merchant):
        overview = demand_overview(request.merchant)
        forecast = overview["forecast"]
        context.update(
            overview=overview,
            chart=demand_chart(
                past_days=overview["past_days"],
                actual=overview["actual"],
                future_days=overview["future_days"],
                mean=[float(v) for v in forecast.mean],
                lower=[float(v) for v in forecast.lower],
                upper=[float(v) for v in forecast.upper],
                spikes=[s["index"] for s in overview["spikes"]],
            ),
            forecast_rows=[
                {"day": day, **row}
                for day, row in zip(overview["future_days"], forecast.as_rows(), strict=True)
            ],
            past_rows=list(zip(overview["past_days"], overview["actual"], strict=True)),
            areas_page=Paginator(overview["outlooks"], AREAS_PER_PAGE).get_page(
                request.GET.get("page")
            ),
        )
    return render(request, "merchant/demand/index.html", context, status=status)
