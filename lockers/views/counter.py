"""The shop counter page and the locker terminal page, reached by a signed per-place link.

Why a signed link rather than a login: the staff of a partner shop are not members of the
merchant, and a kiosk has nobody to sign in. The link names one place only, works on a phone
or a kiosk at once, and the merchant revokes it by making a new one (its version moves on).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from lockers.forms import PickupCodeForm, TrackingNumberForm
from lockers.selectors.network import parcels_waiting
from lockers.services import pickup
from lockers.services.network import place_for_link
from merchant.zones import zone_of


def _place(token: str, kind: str):
    place = place_for_link(token, kind=kind)
    if place is None:
        raise Http404("This link is not valid any more; ask the shop for a new one.")
    # Nobody signs in here, so the middleware activated no zone: times are the place's (its
    # merchant's); the middleware deactivates it after the request.
    timezone.activate(zone_of(place.merchant))
    return place


def _handle(request: HttpRequest, place) -> tuple[dict, int]:
    """Run the posted action; returns (context, status)."""
    receive, code = TrackingNumberForm(prefix="receive"), PickupCodeForm(prefix="handover")
    result: dict = {}
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "receive":
            receive = TrackingNumberForm(request.POST, prefix="receive")
            if receive.is_valid():
                try:
                    arrival = pickup.record_arrival(
                        place=place, tracking_number=receive.cleaned_data["tracking_number"]
                    )
                except ValidationError as exc:
                    receive.add_error("tracking_number", exc.messages)
                    status = 422
                else:
                    result["received"] = arrival
                    receive = TrackingNumberForm(prefix="receive")
        else:
            code = PickupCodeForm(request.POST, prefix="handover")
            if code.is_valid():
                try:
                    result["handed_over"] = pickup.hand_over(
                        place=place, code=code.cleaned_data["code"]
                    )
                except pickup.TooManyWrongCodes as exc:
                    code.add_error("code", exc.message)
                    status = 429
                except pickup.WrongCode as exc:
                    code.add_error("code", exc.message)
                    status = 422
                else:
                    code = PickupCodeForm(prefix="handover")
    return {"place": place, "receive_form": receive, "code_form": code, **result}, status


@require_http_methods(["GET", "POST"])
def counter(request: HttpRequest, token: str) -> HttpResponse:
    shop = _place(token, "shop")
    context, status = _handle(request, shop)
    context["parcels"] = parcels_waiting(shop)[:100]
    return render(request, "lockers/counter.html", context, status=status)


@require_http_methods(["GET", "POST"])
def terminal(request: HttpRequest, token: str) -> HttpResponse:
    bank = _place(token, "bank")
    context, status = _handle(request, bank)
    return render(request, "lockers/terminal.html", context, status=status)
