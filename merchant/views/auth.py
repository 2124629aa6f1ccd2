from __future__ import annotations

import hashlib
import logging
import math

from axes.helpers import get_client_ip_address, get_cool_off
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from merchant import ratelimit
from merchant.forms.accounts import SignupForm
from merchant.services.merchants import create_merchant

logger = logging.getLogger(__name__)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new = create_merchant(
                name=form.cleaned_data["merchant_name"],
                owner_email=form.cleaned_data["email"],
                owner_password=form.cleaned_data["password1"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            login(request, new.owner, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("dashboard")
    return render(request, "merchant/signup.html", {"form": form})


def signin_locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): the sign-in page again, with the
    reason and when to retry, instead of a bare 429 page."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    cool_off = get_cool_off(request)
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else None
    wait = f"Try again in {minutes} minute{'s' if minutes != 1 else ''}" if minutes else "Ask us"
    message = (
        "Too many wrong passwords for this account from your network, so signing in is paused. "
        f"{wait}, or reset your password."
    )
    form = AuthenticationForm(request, initial={"username": username})
    context = {"form": form, "lockout_message": message, "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=429)


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """Password reset that sends at most a few mails per address and per client IP an hour.

    Over the limit the page answers exactly as when a mail was sent (the "check your inbox"
    page), so neither the limit nor the answer tells whether an account exists."""

    def form_valid(self, form) -> HttpResponse:
        limit = settings.PASSWORD_RESET_MAILS_PER_HOUR
        by_address = _reset_window("address", form.cleaned_data["email"], limit)
        # A shared office or shop network resets a few accounts.
        client_ip = get_client_ip_address(request=self.request) or "unknown"
        by_ip = _reset_window("ip", client_ip, limit * 3)
        if not (by_address.exceeded or by_ip.exceeded):
            return super().form_valid(form)
        logger.warning("password reset mail not sent: hourly limit reached")
        return HttpResponseRedirect(self.get_success_url())


def _reset_window(kind: str, key: str, limit: int) -> ratelimit.Window:
    """Count one reset mail for `key` this hour. The key is hashed: no address in the cache."""
    digest = hashlib.sha256(key.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()
    return ratelimit.hit(f"password-reset-{kind}:{digest}", limit=limit, window_seconds=3600)
