"""A shipment's label (preview and downloads on the shipment page) and the order page's
"Create return label" action."""

from __future__ import annotations

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from fulfillment.labels.services.labels import CannotPrint, label_for
from fulfillment.labels.services.packing_slips import packing_slip_for
from fulfillment.orders.selectors.orders import get_order_for_merchant
from fulfillment.shipments.services.returns import (
    create_return_shipment,
    outbound_shipment,
    return_shipment,
)
from fulfillment.tracking.selectors import get_shipment_for_merchant
from merchant.decorators import merchant_required


@merchant_required
@require_GET
@xframe_options_sameorigin  # the shipment page previews the PDF in an <iframe>
@csp_replace({"frame-ancestors": [SELF]})  # the same, for the Content-Security-Policy
def shipment_label(request: HttpRequest, shipment_id: int) -> HttpResponse:
    shipment = get_shipment_for_merchant(request.merchant, shipment_id)
    try:
        label = label_for(
            shipment,
            size=request.GET.get("size", "4x6"),
            fmt=request.GET.get("format", "pdf"),
            source=request.GET.get("source", "auto"),
        )
    except CannotPrint as error:
        return HttpResponse(" ".join(error.messages), status=409, content_type="text/plain")
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=400, content_type="text/plain")
    response = HttpResponse(label.content, content_type=label.content_type)
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{label.filename}"'
    return response


@merchant_required
@require_POST
def order_return_label(request: HttpRequest, order_id: int) -> HttpResponse:
    """Make (or find) the order's return shipment and download its label."""
    order = get_order_for_merchant(request.merchant, order_id)
    try:
        shipment = create_return_shipment(merchant=request.merchant, order=order)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("order_detail", order_id=order.pk)
    size = request.POST.get("size", "4x6")
    size = size if size in ("4x6", "a6", "a4") else "4x6"
    url = reverse("shipment_label", args=[shipment.pk])
    return redirect(f"{url}?size={size}&download=1")


@merchant_required
@require_GET
def order_return_panel(request: HttpRequest, order_id: int) -> HttpResponse:
    """The order page's return-label section (loaded by htmx): the return made so far, if any,
    and the button that makes or downloads it."""
    order = get_order_for_merchant(request.merchant, order_id)
    context = {
        "order": order,
        "outbound": outbound_shipment(order),
        "return_shipment": return_shipment(order),
    }
    return render(request, "fulfillment/shipments/_return_label.html", context)


@merchant_required
@require_GET
def order_packing_slip(request: HttpRequest, order_id: int) -> HttpResponse:
    order = get_order_for_merchant(request.merchant, order_id)
    try:
        slip = packing_slip_for(order, size=request.GET.get("size", "a4"))
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=400, content_type="text/plain")
    response = HttpResponse(slip.content, content_type=slip.content_type)
    response["Content-Disposition"] = f'inline; filename="{slip.filename}"'
    return response
