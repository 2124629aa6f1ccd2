"""Shopify's CarrierService callback: POST /shopify/carrier/<token>/rates.

Authenticated by the merchant's unguessable token in the URL (Shopify cannot send our keys);
CSRF does not apply to a server-to-server call that carries no cookie. Every answer is JSON:
Shopify shows nothing useful for an HTML error page, and a 500 would drop every rate.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from lockers.services import shopify
from merchant import ratelimit

logger = logging.getLogger(__name__)


def _problem(status: int, code: str, detail: str, field: str | None = None) -> JsonResponse:
    body = {"status": status, "code": code, "detail": detail, "field": field}
    return JsonResponse(body, status=status)


@csrf_exempt
def carrier_rates(request: HttpRequest, token: str) -> JsonResponse:
    if request.method != "POST":
        response = _problem(405, "method_not_allowed", "Shopify POSTs rate requests here.")
        response["Allow"] = "POST"
        return response
    merchant = shopify.merchant_for_token(token)
    if merchant is None:
        return _problem(404, "not_found", "No merchant has this Shopify callback URL.")
    limit, window_s = settings.NEARBOX_PUBLIC_RATE_LIMIT, settings.NEARBOX_PUBLIC_RATE_WINDOW
    window = ratelimit.hit(f"shopify:{merchant.pk}", limit=limit, window_seconds=window_s)
    if window.exceeded:
        response = _problem(429, "rate_limited", f"More than {limit} requests in {window_s} s.")
        response["Retry-After"] = str(window.retry_after)
        return response
    try:
        payload = json.loads(request.body)
    except RequestDataTooBig:
        return _problem(413, "too_large", "The rate request is too large.")
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return _problem(400, "malformed_json", "The body must be a JSON rate request.")
    try:
        rates = shopify.carrier_rates(merchant=merchant, payload=payload)
    except shopify.RateRequestError as exc:
        return _problem(400, "invalid_rate_request", exc.detail, exc.field)
    except Exception:
        # Shopify drops every rate of a failed call; no rates from us lets its others show.
        logger.exception("Shopify rate request for merchant %s failed", merchant.pk)
        rates = []
    return JsonResponse({"rates": rates})
