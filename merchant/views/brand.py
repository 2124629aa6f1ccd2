"""The merchant's logo, the one uploaded file that is public: the tracking page and the
shopper's emails show it. Everything else under MEDIA_ROOT is served by views that check the
signed-in merchant, never as a folder."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from merchant.models import Merchant


@require_GET
def merchant_logo(request: HttpRequest, slug: str) -> FileResponse:
    merchant = get_object_or_404(Merchant, slug=slug)
    if not merchant.logo:
        raise Http404("No logo")
    try:
        response = FileResponse(merchant.logo.open("rb"))
    except FileNotFoundError as exc:
        raise Http404("No logo") from exc
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
