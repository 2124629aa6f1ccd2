"""Guards for dashboard views: a signed-in member of a merchant (and an owner for some)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

View = Callable[..., HttpResponse]


def merchant_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.merchant:
            # A person whose memberships were all removed: they may start a shop of their own.
            return redirect("signup")
        return view(request, *args, **kwargs)

    return wrapper


def owner_required(view: View) -> View:
    @merchant_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.membership.is_owner:
            raise PermissionDenied("Only an owner of the shop can do this.")
        return view(request, *args, **kwargs)

    return wrapper
