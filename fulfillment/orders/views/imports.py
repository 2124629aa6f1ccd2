"""CSV import of orders: upload and preview, then confirm (now, or as a background job)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from fulfillment.orders.forms import ImportConfirmForm, ImportUploadForm
from fulfillment.orders.services import csv_import as order_csv
from merchant.decorators import merchant_required
from merchant.services.geocoding import GeocoderUnavailable

NAV = "orders"


def _page(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    context.update(
        columns=order_csv.COLUMNS,
        required=order_csv.REQUIRED,
        background_above=order_csv.BACKGROUND_ABOVE,
        nav_active=NAV,
    )
    return render(request, template, context, status=status)


def _preview(request, plan, import_id: str, status: int = 200) -> HttpResponse:
    return _page(
        request,
        "fulfillment/import_preview.html",
        {
            "plan": plan,
            "confirm_form": ImportConfirmForm(initial={"import_id": import_id}),
            "upload_form": ImportUploadForm(),
        },
        status=status,
    )


@merchant_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            import_id = order_csv.stage_order_upload(
                merchant=request.merchant, filename=uploaded.name, data=uploaded.read()
            )
        except ValidationError as error:
            form.add_error("file", error.message_dict.get("file", error.messages))
        else:
            plan = order_csv.preview_order_import(merchant=request.merchant, import_id=import_id)
            return _preview(request, plan, import_id, status=200 if plan.ok else 422)
    status = 422 if request.method == "POST" else 200
    return _page(request, "fulfillment/import.html", {"form": form}, status=status)


@merchant_required
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    form = ImportConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That upload is no longer available; upload the file again.")
        return redirect("orders_import")
    import_id = form.cleaned_data["import_id"]
    try:
        confirmed = order_csv.confirm_order_import(
            merchant=request.merchant, import_id=import_id, user=request.user
        )
    except (ValidationError, GeocoderUnavailable) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        try:
            plan = order_csv.preview_order_import(merchant=request.merchant, import_id=import_id)
        except (ValidationError, GeocoderUnavailable):
            return redirect("orders_import")
        return _preview(request, plan, import_id, status=422)
    if confirmed.job:
        messages.info(request, "The import runs in the background; this page shows its progress.")
        return redirect("job_detail", job_id=confirmed.job.pk)
    messages.success(request, f"Imported: {confirmed.result.message}")
    return redirect("orders")
