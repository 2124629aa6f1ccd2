"""Rates for an order (a fragment the order page includes), shipping it, and a shipment page."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from fulfillment.boxes.forms import PackingForm
from fulfillment.boxes.services.packing import box_for_order
from fulfillment.couriers.selectors import shipment_events, shipment_for_order
from fulfillment.orders.selectors.orders import get_order_for_merchant
from fulfillment.orders.services.addresses import AddressNeedsAttention
from fulfillment.shipments.services.booking import ShipmentExists, rates_for_order, request_shipment
from fulfillment.shipments.services.voiding import CannotVoid, can_void, void_shipment
from fulfillment.tracking.selectors import get_shipment_for_merchant
from merchant.decorators import merchant_required
from merchant.money import money_in


def rates_context(request: HttpRequest, order) -> dict:
    shipment = shipment_for_order(order)
    voided = shipment if shipment is not None and shipment.voided_at is not None else None
    if voided is not None:  # its label was given back: the order ships again
        shipment = None
    packing = None if shipment else box_for_order(order)
    result = (
        None
        if shipment
        else rates_for_order(merchant=request.merchant, order=order, packing=packing)
    )
    return {
        "order": order,
        "result": result,
        "shipment": shipment,
        "voided": voided,
        "packing": packing,
        "packing_form": PackingForm(merchant=request.merchant) if packing else None,
        "can_void": shipment is not None and can_void(shipment),
    }


@merchant_required
@require_GET
def order_rates(request: HttpRequest, order_id: int) -> HttpResponse:
    order = get_order_for_merchant(request.merchant, order_id)
    context = rates_context(request, order) | {"nav_active": "orders"}
    template = (
        "fulfillment/couriers/_rate_options.html"
        if request.htmx
        else "fulfillment/couriers/order_rates.html"
    )
    return render(request, template, context)


@merchant_required
@require_POST
def order_ship(request: HttpRequest, order_id: int) -> HttpResponse:
    order = get_order_for_merchant(request.merchant, order_id)
    option_id = (request.POST.get("option_id") or "rule").strip()[:40]
    try:
        packing = PackingForm(request.POST, merchant=request.merchant)
        if not packing.is_valid():
            raise ValidationError(packing.error_text())
        shipment = request_shipment(
            merchant=request.merchant,
            order=order,
            option_id=option_id,
            box=packing.cleaned_data["box"],
            measured_weight_g=packing.cleaned_data["scale_reading"],
        )
    except ShipmentExists as exc:
        messages.info(request, "This order already has a shipment.")
        shipment = exc.shipment
    except AddressNeedsAttention as exc:
        messages.error(request, str(exc))
        return redirect("order_rates", order_id=order.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("order_rates", order_id=order.pk)
    else:
        messages.success(
            request,
            f"Shipment with {shipment.account.name} ({shipment.service.name}) is being booked.",
        )
    return redirect("shipment_detail", shipment_id=shipment.pk)


@merchant_required
@require_GET
def shipment_detail(request: HttpRequest, shipment_id: int) -> HttpResponse:
    shipment = get_shipment_for_merchant(request.merchant, shipment_id)
    return render(
        request,
        "fulfillment/couriers/shipment_detail.html",
        {
            "shipment": shipment,
            "events": shipment_events(shipment),
            "price": money_in(
                shipment.price_minor,
                currency=shipment.currency,
                merchant_currency=request.merchant.currency,
            ),
            "nav_active": "shipments",
            "can_void": can_void(shipment),
            "refund": money_in(
                shipment.refund_minor,
                currency=shipment.currency,
                merchant_currency=request.merchant.currency,
            )
            if shipment.refund_minor
            else "",
        },
    )


@merchant_required
@require_POST
def shipment_void(request: HttpRequest, shipment_id: int) -> HttpResponse:
    shipment = get_shipment_for_merchant(request.merchant, shipment_id)
    try:
        void_shipment(shipment=shipment, by=request.user)
    except CannotVoid as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Label voided: the order is ready to ship again.")
    if request.POST.get("next") == "order":
        return redirect("order_detail", order_id=shipment.order_id)
    return redirect("shipment_detail", shipment_id=shipment.pk)


@merchant_required
@require_GET
def shipment_proof(request: HttpRequest, shipment_id: int, event_id: int) -> FileResponse:
    """A proof-of-delivery photo, only to members of the shipment's merchant (media files are
    not served publicly)."""
    shipment = get_shipment_for_merchant(request.merchant, shipment_id)
    event = shipment.events.filter(pk=event_id).exclude(proof="").first()
    if event is None or not event.proof:
        raise Http404("No proof for this event")
    # A driver may upload any file: only an image is shown inline, anything else is a download.
    kind, _ = mimetypes.guess_type(event.proof.name)
    inline = bool(kind) and kind.startswith("image/") and kind != "image/svg+xml"
    response = FileResponse(event.proof.open("rb"), as_attachment=not inline)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
