"""The driver session: a driver is signed in by the session key `fleet_driver_id` (merchant
users are not touched: a phone can hold both). `driver_required` loads the driver, refuses a
deactivated one, and sets `request.driver`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fulfillment.models import Driver

SESSION_KEY = "fleet_driver_id"

View = Callable[..., HttpResponse]


def sign_in_driver(request: HttpRequest, driver: Driver) -> None:
    # A new session key on sign-in (no fixation); the merchant user's login, if any, stays.
    request.session.cycle_key()
    request.session[SESSION_KEY] = driver.pk


def sign_out_driver(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def current_driver(request: HttpRequest) -> Driver | None:
    driver_id = request.session.get(SESSION_KEY)
    if not isinstance(driver_id, int):
        return None
    driver = Driver.objects.select_related("merchant").filter(pk=driver_id, is_active=True).first()
    if driver is None:
        sign_out_driver(request)
    return driver


def driver_required(view: View) -> View:
    """A view for a signed-in, active driver (`request.driver`); else a 403 page that says to
    open the sign-in link again (JSON callers get the same status)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        driver = current_driver(request)
        if driver is None:
            return render(request, "fulfillment/fleet/auth/signed_out.html", status=403)
        request.driver = driver
        return view(request, *args, **kwargs)

    return wrapper
