"""Driver sign-in by link: GET /d/<token>/ shows a confirm button (mail and chat link scanners
only GET, so they cannot use up the link); POST uses it and opens the driver app."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from fulfillment.fleet.auth import links
from fulfillment.fleet.auth.session import sign_in_driver, sign_out_driver


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = links.find_usable_link(token)
        if request.method == "POST":
            driver = links.redeem_sign_in_link(token=token)
            sign_in_driver(request, driver)
            return redirect("driver_home")
    except links.SignInLinkInvalid as error:
        return render(
            request, "fulfillment/fleet/auth/sign_in.html", {"error": str(error)}, status=410
        )
    return render(request, "fulfillment/fleet/auth/sign_in.html", {"link": link})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    sign_out_driver(request)
    response = render(request, "fulfillment/fleet/auth/signed_out.html")
    # A shared phone: the next driver finds none of this one's pages (the service worker's
    # cache), queued actions or service worker. Cookies stay (a merchant user's login).
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response
