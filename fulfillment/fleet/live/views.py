"""The delivery photo of an own driver's stop, for the shopper: /t/<token>/delivery-photo, by the
tracking page's unguessable token (the page and the delivered message link it)."""

from __future__ import annotations

import mimetypes

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from fulfillment.fleet.live.shopper import delivered_stop
from fulfillment.tracking.selectors import get_shipment_by_token


@require_GET
def delivery_photo(request: HttpRequest, token: str) -> FileResponse:
    shipment = get_shipment_by_token(token)
    stop = delivered_stop(shipment)
    if stop is None or not stop.photo:
        raise Http404("No delivery photo.")
    try:
        handle = stop.photo.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("No delivery photo.") from None
    kind = mimetypes.guess_type(stop.photo.name)[0] or "image/jpeg"
    if not kind.startswith("image/"):
        raise Http404("No delivery photo.")
    response = FileResponse(handle, content_type=kind)
    response["Cache-Control"] = "private, max-age=3600"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Content-Type-Options"] = "nosniff"
    return response
