"""/api/v1/docs from vendored Swagger UI, so the reference works offline and under a CSP.

django-ninja's own Swagger page loads its assets from a CDN unless `ninja` is an installed
app; this one renders `templates/api/swagger.html` with `static/vendor/swagger-ui-5.35.0/`.
"""

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger, _csrf_needed


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
            "add_csrf": _csrf_needed(api),
        }
        return render(request, "api/swagger.html", context)
