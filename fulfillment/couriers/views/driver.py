"""The manual courier's driver page: no login, a signed link per account and day."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from fulfillment.couriers.forms import DriverStatusForm
from fulfillment.couriers.selectors import driver_parcels
from fulfillment.couriers.services.accounts import account_for_driver_token
from fulfillment.shipments.services.booking import FAILED_REASONS, record_driver_status


@require_http_methods(["GET", "POST"])
def driver_page(request: HttpRequest, token: str) -> HttpResponse:
    found = account_for_driver_token(token)
    if found is None:
        raise Http404("This driver link is not valid or has expired; ask the shop for a new one.")
    account, day = found
    errors: dict[int, list[str]] = {}
    if request.method == "POST":
        form = DriverStatusForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                shipment = record_driver_status(
                    account=account,
                    shipment_id=data["shipment_id"],
                    action=data["action"],
                    photo=data["photo"],
                    signature=data["signature"],
                    reason=data["reason"],
                )
            except ValidationError as exc:
                errors[data["shipment_id"]] = exc.messages
            else:
                messages.success(
                    request,
                    f"{shipment.tracking_number}: {shipment.get_status_display().lower()}.",
                )
                return redirect("driver_page", token=token)
        else:
            errors[0] = [f"{k}: {' '.join(v)}" for k, v in form.errors.items()]
    parcels = driver_parcels(account, day)
    shown = {s.pk for s in parcels}
    for key in [k for k in errors if k and k not in shown]:
        errors.setdefault(0, []).extend(errors.pop(key))
    response = render(
        request,
        "fulfillment/driver/page.html",
        {
            "account": account,
            "day": day,
            "parcels": parcels,
            "errors": errors,
            "reasons": FAILED_REASONS.items(),
            "token": token,
        },
        status=422 if errors else 200,
    )
    response["Referrer-Policy"] = "same-origin"  # the link is the key: never send it elsewhere
    response["Cache-Control"] = "private, no-store"
    return response
