"""The Saleor App's public endpoints, each under the connection's unguessable token:
GET manifest, POST register (the token exchange), POST the two synchronous shipping webhooks.
The async order webhooks go to the shared receiving endpoint (integrations/platforms/receiving.py).

Server-to-server calls without cookies: no CSRF. Every answer is JSON; a sync webhook that fails
on our side answers "nothing from us" (Saleor then shows the shop's own methods) rather than a 500.
"""

from __future__ import annotations

import json
import logging
import time

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from integrations.crypto import SecretUnreadable
from integrations.platforms.base import WebhookRefused
from integrations.platforms.credentials import read_credentials
from integrations.platforms.saleor import install, shipping
from integrations.platforms.saleor.connector import SaleorConnector
from integrations.platforms.saleor.manifest import (
    FILTER_METHODS_EVENT,
    LIST_METHODS_EVENT,
    build_manifest,
)

logger = logging.getLogger(__name__)


def _error(status: int, code: str, message: str) -> JsonResponse:
    # Saleor shows `error.message` of a failed install to the person installing the app.
    return JsonResponse(
        {"success": False, "error": {"code": code, "message": message}}, status=status
    )


def _not_found() -> JsonResponse:
    return _error(404, "not_found", "No Nearbox shop connection has this address.")


@require_GET
def manifest(request: HttpRequest, token: str) -> JsonResponse:
    connection = install.connection_for_token(token)
    if connection is None:
        return _not_found()
    base = settings.NEARBOX_BASE_URL
    document = build_manifest(
        name=f"Nearbox ({connection.merchant.name})"[:120],
        app_url=base + reverse("integrations"),
        token_target_url=base + reverse("saleor_register", args=[token]),
        order_webhook_url=SaleorConnector(connection, {}).webhook_url(),
        shipping_methods_url=base + reverse("saleor_shipping_methods", args=[token]),
        filter_shipping_methods_url=base + reverse("saleor_filter_shipping_methods", args=[token]),
    )
    return JsonResponse(document)


@csrf_exempt
@require_POST
def register(request: HttpRequest, token: str) -> JsonResponse:
    connection = install.connection_for_token(token)
    if connection is None:
        return _not_found()
    try:
        body = json.loads(request.body)
    except RequestDataTooBig:
        return _error(413, "too_large", "The body is too large.")
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _error(400, "malformed_json", "The body must be JSON with the auth_token.")
    auth_token = body.get("auth_token") if isinstance(body, dict) else None
    try:
        install.register_app(
            connection=connection,
            auth_token=auth_token,
            api_url=request.headers.get("Saleor-Api-Url", ""),
        )
    except install.InstallRefused as refused:
        logger.info("Saleor install refused for connection %s: %s", connection.pk, refused.detail)
        return _error(refused.status, refused.code, refused.detail)
    return JsonResponse({"success": True})


def _sync(request: HttpRequest, token: str, event: str, answer, empty):
    """Verify a synchronous webhook of `event` and answer `answer(merchant, payload)`."""
    started = time.perf_counter()
    connection = install.connection_for_token(token)
    if connection is None:
        return _not_found()
    try:
        body = request.body
    except RequestDataTooBig:
        return _error(413, "too_large", "The body is too large.")
    try:
        connector = SaleorConnector(connection, read_credentials(connection))
    except SecretUnreadable:
        logger.exception("Saleor connection %s: credentials unreadable", connection.pk)
        return _error(503, "cannot_verify", "Nearbox cannot check signatures for this shop now.")
    try:
        inbound = connector.verify(body, request.headers, events={event: event}, sync=True)
    except WebhookRefused as refused:
        logger.info("Saleor %s refused for connection %s: %s", event, connection.pk, refused)
        return _error(401, "refused", "The webhook's signature or age was refused.")
    finally:
        connector.close()
    try:
        result = answer(merchant=connection.merchant, payload=inbound.payload)
    except shipping.CheckoutUnreadable as error:
        return _error(400, "invalid_checkout", str(error))
    except Exception:
        logger.exception("Saleor %s for connection %s failed", event, connection.pk)
        result = empty
    logger.debug("Saleor %s answered in %.1f ms", event, (time.perf_counter() - started) * 1000)
    return JsonResponse(result, safe=False)


@csrf_exempt
@require_POST
def shipping_methods(request: HttpRequest, token: str) -> JsonResponse:
    return _sync(request, token, LIST_METHODS_EVENT, shipping.list_methods, [])


@csrf_exempt
@require_POST
def filter_shipping_methods(request: HttpRequest, token: str) -> JsonResponse:
    return _sync(
        request, token, FILTER_METHODS_EVENT, shipping.excluded_methods, {"excluded_methods": []}
    )
