"""Driver sign-in by link: GET /d/<token>/ shows a confirm button (mail and chat link scanners
only GET, so they cannot use up the link); POST uses it and opens the driver app."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from fulfillment.fleet.auth import links
from fulfillment.fleet.auth.session import current_driver, sign_in_driver, sign_out_driver


def driver_home_url() -> str:
    try:
        return reverse("driver_home")
    except NoReverseMatch:  # the driver app is not mounted: its placeholder
        return reverse("fleet_driver_placeholder")


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = links.find_usable_link(token)
        if request.method == "POST":
            driver = links.redeem_sign_in_link(token=token)
            sign_in_driver(request, driver)
            return redirect(driver_home_url())
    except links.SignInLinkInvalid as error:
        return render(
            request, "fulfillment/fleet/auth/sign_in.html", {"error": str(error)}, status=410
        )
    return render(request, "fulfillment/fleet/auth/sign_in.html", {"link": link})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    sign_out_driver(request)
    return render(request, "fulfillment/fleet/auth/signed_out.html")


@never_cache
def placeholder_home(request: HttpRequest) -> HttpResponse:
    driver = current_driver(request)
    if driver is None:
        return render(request, "fulfillment/fleet/auth/signed_out.html", status=403)
    return render(request, "fulfillment/fleet/auth/placeholder.html", {"driver": driver})
