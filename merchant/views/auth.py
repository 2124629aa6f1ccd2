from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from merchant.forms import SignupForm
from merchant.services.merchants import create_merchant


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
