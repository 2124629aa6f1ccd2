"""The shopper's returns portal at /returns/<shop>/: no login. The shopper proves the order with
its number and email (or arrives from the tracking page's link), which gives a signed key good
for two hours; the return they make has its own unguessable page with the label or the drop-off
code and the return parcel's tracking. Mobile first, the shop's colours."""

from __future__ import annotations

import zoneinfo

from axes.helpers import get_client_ip_address
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from fulfillment.labels.services.labels import CannotPrint, label_for
from fulfillment.models import Order
from fulfillment.models.returns import ReturnRequest
from fulfillment.returns import selectors
from fulfillment.returns.forms import LookupForm, ReturnChoiceForm
from fulfillment.returns.services import lookup
from fulfillment.returns.services.requests import (
    create_return_request,
    returnable_lines,
    why_not_returnable,
)
from fulfillment.returns.services.settings import get_return_settings
from fulfillment.tracking.selectors import timeline
from merchant.models import Merchant

QTY_PREFIX = "qty_"
MAX_QTY_FIELDS = 200


def _merchant(slug: str) -> Merchant:
    if len(slug) > 60 or "\x00" in slug:
        raise Http404("No such shop.")
    merchant = get_object_or_404(Merchant, slug=slug)
    timezone.activate(zoneinfo.ZoneInfo(merchant.time_zone or "UTC"))
    return merchant


def _private(response: HttpResponse) -> HttpResponse:
    # The URL is the key: never sent to another site. ("no-referrer" would make Chromium send
    # Origin: null with the page's own form posts, which CSRF refuses.)
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def portal_start(request: HttpRequest, slug: str) -> HttpResponse:
    merchant = _merchant(slug)
    form = LookupForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                order = lookup.find_order_for_shopper(
                    merchant=merchant,
                    order_number=form.cleaned_data["order_number"],
                    email=form.cleaned_data["email"],
                    client=get_client_ip_address(request=request) or "unknown",
                )
            except lookup.LookupThrottled as error:
                form.add_error(None, str(error))
                status = 429
            except lookup.LookupFailed as error:
                form.add_error(None, str(error))
            else:
                return redirect(
                    "returns_portal_order", slug=merchant.slug, token=lookup.portal_key(order)
                )
    context = {"merchant": merchant, "form": form}
    response = render(request, "fulfillment/returns/portal_start.html", context, status=status)
    return _private(response)


@require_GET
def portal_from_tracking(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """The tracking page's "Return items" link: its token already proves the order."""
    merchant = _merchant(slug)
    order = lookup.order_for_tracking_token(merchant=merchant, token=token)
    if order is None:
        raise Http404("No such tracking page.")
    return _private(
        redirect("returns_portal_order", slug=merchant.slug, token=lookup.portal_key(order))
    )


def _quantities(post) -> dict[str, str]:
    wanted = {
        name.removeprefix(QTY_PREFIX): value
        for name, value in post.items()
        if name.startswith(QTY_PREFIX)
    }
    if len(wanted) > MAX_QTY_FIELDS:
        raise ValidationError({"lines": "Too many items in one request."})
    return wanted


@require_http_methods(["GET", "POST"])
def portal_order(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    merchant = _merchant(slug)
    order = lookup.order_for_portal_key(merchant=merchant, key=token)
    if order is None:
        # An old or altered key: start again rather than a bare 404.
        response = render(
            request,
            "fulfillment/returns/portal_start.html",
            {"merchant": merchant, "form": LookupForm(), "expired": True},
            status=404,
        )
        return _private(response)
    prefs = get_return_settings(merchant)
    form = ReturnChoiceForm(request.POST or None, prefs=prefs)
    problem = why_not_returnable(order)
    errors: list[str] = []
    posted: dict[str, str] = {}
    status = 200
    if request.method == "POST" and problem is None:
        status = 400
        if form.is_valid():
            try:
                posted = _quantities(request.POST)
                made = create_return_request(
                    merchant=merchant,
                    order=order,
                    quantities=posted,
                    reason=form.cleaned_data["reason"],
                    method=form.cleaned_data["method"],
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as error:
                errors = error.messages
            else:
                return _private(
                    redirect("returns_portal_return", slug=merchant.slug, token=made.public_token)
                )
        else:
            posted = {
                k.removeprefix(QTY_PREFIX): v
                for k, v in request.POST.items()
                if k.startswith(QTY_PREFIX)
            }
    context = {
        "merchant": merchant,
        "order": order,
        "form": form,
        "problem": problem,
        "errors": errors,
        "lines": [
            {"item": item, "posted": posted.get(str(item.line.pk), "0")}
            for item in returnable_lines(order)
        ],
        "returns": selectors.returns_of_order(order),
    }
    response = render(request, "fulfillment/returns/portal_order.html", context, status=status)
    return _private(response)


def _return_by_token(merchant: Merchant, token: str) -> ReturnRequest:
    found = selectors.return_by_token(merchant, token)
    if found is None:
        raise Http404("No such return.")
    return found


@require_GET
def portal_return(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    merchant = _merchant(slug)
    found = _return_by_token(merchant, token)
    shipment = found.shipment
    context = {
        "merchant": merchant,
        "ret": found,
        "order": found.order,
        "lines": list(found.lines.select_related("line__product")),
        "shipment": shipment,
        "events": list(timeline(shipment)[:20]) if shipment else [],
        "returned": found.order.status == Order.Status.RETURNED,
    }
    response = render(request, "fulfillment/returns/portal_return.html", context)
    return _private(response)


@require_GET
def portal_label(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """The return label as a PDF (A4 for a home printer unless the shopper asks for 4x6)."""
    merchant = _merchant(slug)
    found = _return_by_token(merchant, token)
    if found.shipment is None or found.state != ReturnRequest.State.APPROVED:
        raise Http404("This return has no label to print.")
    size = request.GET.get("size", "a4")
    size = size if size in ("a4", "4x6") else "a4"
    try:
        label = label_for(found.shipment, size=size, fmt="pdf")
    except (CannotPrint, ValidationError) as error:
        return HttpResponse(" ".join(error.messages), status=409, content_type="text/plain")
    response = HttpResponse(label.content, content_type=label.content_type)
    response["Content-Disposition"] = f'attachment; filename="return-{label.filename}"'
    return _private(response)
