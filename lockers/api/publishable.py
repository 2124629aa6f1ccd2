"""Publishable-key endpoints (the checkout widget): the key in `X-Nearbox-Key` or `?key=`,
CORS answered for the key's allowed origins only, and a fixed-window limit per key.

`publishable_endpoint` wraps the whole ninja operation, so every answer (including 422s from
validation) carries the CORS headers the browser needs to read it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.security import APIKeyHeader

from lockers.selectors import checkout_cache
from merchant import ratelimit
from merchant.models import ApiKey
from merchant.services.api_keys import authenticate_key, normalize_origin, origin_is_allowed

KEY_HEADER = "X-Nearbox-Key"
ALLOW_HEADERS = f"{KEY_HEADER}, Content-Type"
EXPOSE_HEADERS = "Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining"


def problem(status: int, code: str, detail: str, **extra) -> JsonResponse:
    return JsonResponse({"status": status, "code": code, "detail": detail, **extra}, status=status)


def _cors(response: HttpResponse, origin: str) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = origin
    response["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    response["Vary"] = "Origin"
    return response


class PublishableKey(APIKeyHeader):
    """For the OpenAPI description; the check itself runs in `publishable_endpoint`."""

    param_name = KEY_HEADER

    def __call__(self, request: HttpRequest):
        return getattr(request, "api_key", None)

    def authenticate(self, request: HttpRequest, key: str | None):  # pragma: no cover
        return getattr(request, "api_key", None)


def publishable_endpoint(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(run)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        origin = request.headers.get("Origin", "")
        raw = request.headers.get(KEY_HEADER) or request.GET.get("key", "")
        api_key = authenticate_key(raw.strip(), kind=ApiKey.Kind.PUBLISHABLE) if raw else None
        if api_key is None:
            return problem(
                401,
                "unauthenticated",
                f"Send a valid publishable key as the {KEY_HEADER} header or the key parameter.",
            )
        # Requests without Origin come from servers, not browsers: CORS does not apply.
        if origin and not origin_is_allowed(api_key, origin):
            return problem(
                403,
                "origin_not_allowed",
                f"{origin} is not an allowed origin of this key; add it in Settings → API keys.",
                field="Origin",
            )
        limit, window_s = settings.NEARBOX_PUBLIC_RATE_LIMIT, settings.NEARBOX_PUBLIC_RATE_WINDOW
        # The merchant's cache versions ride in the rate limit's round trip to Redis.
        keys = checkout_cache.version_keys(api_key.merchant_id)
        window = ratelimit.hit(f"pk:{api_key.pk}", limit=limit, window_seconds=window_s, read=keys)
        if window.exceeded:
            response = problem(
                429,
                "rate_limited",
                f"More than {limit} requests in {window_s} s with this key; "
                f"retry in {window.retry_after} s.",
            )
            response["Retry-After"] = str(window.retry_after)
        else:
            request.api_key = api_key
            request.api_merchant = api_key.merchant
            request.checkout_versions = checkout_cache.versions(api_key.merchant_id, window.read)
            response = run(request, *args, **kwargs)
        response["X-RateLimit-Limit"] = str(limit)
        response["X-RateLimit-Remaining"] = str(max(0, limit - window.count))
        return _cors(response, origin) if origin else response

    return wrapped


def _origin_has_a_key(origin: str) -> bool:
    keys = ApiKey.objects.filter(kind=ApiKey.Kind.PUBLISHABLE, revoked_at__isnull=True)
    # PostgreSQL asks jsonb containment in one query; SQLite has no JSON `contains` lookup.
    if connection.vendor == "postgresql":
        return keys.filter(allowed_origins__contains=[origin]).exists()
    return any(origin in k for k in keys.values_list("allowed_origins", flat=True))


def preflight(request: HttpRequest, methods: str) -> HttpResponse:
    """Answer a CORS preflight. The browser sends no key header here, so the origin is checked
    against the key in `?key=` when there is one, else against every active publishable key
    (the real request is then checked against its own key)."""
    origin = request.headers.get("Origin", "")
    try:
        normalized = normalize_origin(origin)
    except Exception:
        return problem(403, "origin_not_allowed", "A preflight request needs an Origin.")
    raw = request.GET.get("key", "")
    if raw:
        api_key = authenticate_key(raw, kind=ApiKey.Kind.PUBLISHABLE)
        allowed = api_key is not None and origin_is_allowed(api_key, origin)
    else:
        allowed = _origin_has_a_key(normalized)
    if not allowed:
        return problem(
            403, "origin_not_allowed", f"{origin} is not an allowed origin of a publishable key."
        )
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = methods
    response["Access-Control-Allow-Headers"] = ALLOW_HEADERS
    response["Access-Control-Max-Age"] = "600"
    return _cors(response, origin)
