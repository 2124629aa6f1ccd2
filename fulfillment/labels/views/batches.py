"""Batch printing: pick a day's shipments (or a filter), make one PDF and one ZPL file in a
background job, follow its progress and download the files."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HTMX_STOP_POLLING

from fulfillment.labels.services.batches import BatchFilter, batch_shipments, start_label_batch
from fulfillment.models import CourierAccount, LabelBatch
from fulfillment.models.shipments import STATUS_CHOICES
from merchant.decorators import merchant_required
from merchant.models import StoragePoint, get_for_merchant_or_404

NAV = "labels"
SIZE_CHOICES = [("4x6", "4×6 in (thermal)"), ("a6", "A6"), ("a4", "A4, four A6 per sheet")]


class BatchForm(forms.Form):
    day = forms.DateField(
        label="Day the shipments were created",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty for every day.",
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *STATUS_CHOICES], required=False)
    courier = forms.ModelChoiceField(
        queryset=CourierAccount.objects.none(), required=False, empty_label="Any courier"
    )
    point = forms.ModelChoiceField(
        queryset=StoragePoint.objects.none(), required=False, empty_label="Any storage point"
    )
    size = forms.ChoiceField(choices=SIZE_CHOICES, initial="4x6")

    def __init__(self, *args, merchant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["courier"].queryset = CourierAccount.objects.for_merchant(merchant)
        self.fields["point"].queryset = StoragePoint.objects.for_merchant(merchant)

    def selection(self) -> BatchFilter:
        data = self.cleaned_data
        return BatchFilter(
            day=data["day"],
            status=data["status"],
            account_id=data["courier"].pk if data["courier"] else None,
            point_id=data["point"].pk if data["point"] else None,
        )


def _today(merchant) -> dt.date:
    return timezone.localdate(timezone.now(), zoneinfo.ZoneInfo(merchant.time_zone or "UTC"))


@merchant_required
@require_http_methods(["GET", "POST"])
def label_batches(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant
    form = BatchForm(
        request.POST or None, merchant=merchant, initial={"day": _today(merchant), "size": "4x6"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            batch = start_label_batch(
                merchant=merchant,
                selection=form.selection(),
                size=form.cleaned_data["size"],
                user=request.user,
            )
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            return redirect("label_batch_detail", batch_id=batch.pk)
    selection = (
        form.selection() if form.is_bound and form.is_valid() else BatchFilter(day=_today(merchant))
    )
    matching = batch_shipments(merchant, selection)
    context = {
        "form": form,
        "matching": matching.count(),
        "without_number": matching.filter(tracking_number="").count(),
        "batches": LabelBatch.objects.for_merchant(merchant).select_related("job")[:20],
        "nav_active": NAV,
    }
    return render(request, "fulfillment/labels_batch/batches.html", context)


def _batch(request: HttpRequest, batch_id: int) -> LabelBatch:
    return get_for_merchant_or_404(LabelBatch, request.merchant, batch_id)


@merchant_required
@require_GET
def label_batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The batch page; for htmx its status fragment (286 once done, so polling stops)."""
    batch = _batch(request, batch_id)
    context = {"batch": batch, "job": batch.job, "nav_active": NAV}
    if request.htmx:
        response = render(request, "fulfillment/labels_batch/_batch.html", context)
        if batch.is_ready or (batch.job and batch.job.is_finished):
            response.status_code = HTMX_STOP_POLLING
        return response
    return render(request, "fulfillment/labels_batch/detail.html", context)


def _file(batch: LabelBatch, kind: str) -> FileResponse:
    field = batch.pdf if kind == "pdf" else batch.zpl
    if not field:
        raise Http404("The labels are not ready yet.")
    content_type = "application/pdf" if kind == "pdf" else "application/zpl"
    name = f"labels-{batch.pk}-{batch.size}.pdf" if kind == "pdf" else f"labels-{batch.pk}.zpl"
    return FileResponse(field.open("rb"), content_type=content_type, filename=name)


@merchant_required
@require_GET
def label_batch_pdf(request: HttpRequest, batch_id: int) -> FileResponse:
    return _file(_batch(request, batch_id), "pdf")


@merchant_required
@require_GET
def label_batch_zpl(request: HttpRequest, batch_id: int) -> FileResponse:
    return _file(_batch(request, batch_id), "zpl")
