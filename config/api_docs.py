"""/api/v1/docs from vendored Swagger UI, so the reference works offline and under a CSP.

django-ninja's own Swagger page loads its assets from a CDN unless `ninja` is an installed
app; this one renders `templates/api/swagger.html` with `static/vendor/swagger-ui-5.35.0/`.
"""

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI
from ninja.constants import NOT_SET
from ninja.openapi.docs import Swagger


class VendoredSwagger(Swagger):
    # validatorUrl: Swagger UI otherwise fetches a badge from validator.swagger.io.
    default_settings = {"layout": "BaseLayout", "deepLinking": True, "validatorUrl": None}

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        openapi_url = self.get_openapi_url(api, kwargs)
        settings = {**self.settings, "url": openapi_url}
        # Escape "<" so a "</script>" in a setting cannot close the JSON block early.
        settings_json = json.dumps(settings).replace("<", "\\u003c")
        context = {
            "swagger_settings": settings_json,
            "openapi_url": openapi_url,
            "api": api,
            "add_csrf": csrf_needed(api),
        }
        return render(request, "api/swagger.html", context)


def csrf_needed(api: NinjaAPI) -> bool:
    """Whether one of the API's auth handlers asks for a CSRF token (cookie auth), so the page
    must send one. The check ninja's own Swagger page makes, kept here because ninja's is
    private and an upgrade could rename it and break /api/v1/docs at import."""
    if not api.auth or api.auth is NOT_SET:
        return False
    return any(getattr(handler, "csrf", False) for handler in api.auth)
