"""The checkout widget's script, served with the server's settings filled in.

The widget also works as a plain static file (static/nearbox/widget/nearbox-widget.js) with
its defaults; served from here it gets the tile URL setting and the static URLs (hashed in
production), and its modules come in the same response instead of three more requests.
"""

from __future__ import annotations

import json
from functools import lru_cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

from merchant.models import ApiKey
from merchant.services.api_keys import authenticate_key, origin_is_allowed

WIDGET_DIR = "nearbox/widget"
LEAFLET_DIR = "vendor/leaflet-1.9.4"
CONFIG_MARKER = "/*nearbox:config*/ {}"
MODULES = ("nearbox-widget-i18n.js", "nearbox-widget-api.js", "nearbox-widget-map.js")


@lru_cache(maxsize=1)
def _source() -> str:
    """The widget's modules and the widget, read once per process (they change on deploy)."""
    parts = []
    for name in (*MODULES, "nearbox-widget.js"):
        with open(finders.find(f"{WIDGET_DIR}/{name}"), encoding="utf-8") as file:
            parts.append(file.read())
    return "\n".join(parts)


def widget_config() -> dict[str, str]:
    return {
        "tileUrl": settings.NEARBOX_WIDGET_TILE_URL,
        "tileAttribution": settings.NEARBOX_WIDGET_TILE_ATTRIBUTION,
        "css": static(f"{WIDGET_DIR}/nearbox-widget.css"),
        "i18n": static(f"{WIDGET_DIR}/nearbox-widget-i18n.js"),
        "api": static(f"{WIDGET_DIR}/nearbox-widget-api.js"),
        "map": static(f"{WIDGET_DIR}/nearbox-widget-map.js"),
        "leafletJs": static(f"{LEAFLET_DIR}/leaflet.js"),
        "leafletCss": static(f"{LEAFLET_DIR}/leaflet.css"),
        "keyCheck": reverse("pickup_widget_key_check"),
    }


@require_GET
def widget_script(request: HttpRequest) -> HttpResponse:
    if settings.DEBUG:
        _source.cache_clear()
    # "</" cannot close anything in a script file, but keep the JSON inert anyway.
    config = json.dumps(widget_config()).replace("</", "<\\/")
    source = _source().replace(CONFIG_MARKER, f"/*nearbox:config*/ {config}", 1)
    response = HttpResponse(source, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    # Any shop may embed it; the API itself checks the key's allowed origins.
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def widget_key_check(request: HttpRequest) -> JsonResponse:
    """Why the API refused this page, readable from any origin.

    The API answers a wrong key or a foreign origin without CORS headers, so the browser
    hides the reason from the widget (it looks like a network failure). The widget asks here
    after such a failure, to show the shopper's shop the real cause instead of "offline".
    """
    api_key = authenticate_key(request.GET.get("key", "").strip(), kind=ApiKey.Kind.PUBLISHABLE)
    origin = request.headers.get("Origin", "")
    if api_key is None:
        body = {
            "status": 401,
            "code": "unauthenticated",
            "detail": "This publishable key is not valid (revoked, mistyped or a secret key).",
            "field": "key",
        }
    elif origin and not origin_is_allowed(api_key, origin):
        body = {
            "status": 403,
            "code": "origin_not_allowed",
            "detail": f"{origin} is not an allowed origin of this key; "
            "add it in Settings → API keys.",
            "field": "Origin",
        }
    else:
        body = {"status": 200, "code": "ok", "detail": "The key allows this origin."}
    response = JsonResponse(body)
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "no-store"
    return response
