"""POST /webhooks/couriers/<token>: a courier pushes tracking events (plain Django view: the
body must be read raw for the signature). Answers are JSON problems with a stable code."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from fulfillment.couriers.adapters.errors import WebhookRejected
from fulfillment.tracking.webhooks import (
    MAX_BODY_BYTES,
    UnknownWebhook,
    WebhookMalformed,
    WebhookReplayed,
    receive_webhook,
)


def problem(status: int, code: str, detail: str, field: str | None = None) -> JsonResponse:
    return JsonResponse(
        {"status": status, "code": code, "detail": detail, "field": field},
        status=status,
        content_type="application/problem+json",
    )


@csrf_exempt
@require_POST
def courier_webhook(request: HttpRequest, token: str) -> JsonResponse:
    if int(request.headers.get("Content-Length") or 0) > MAX_BODY_BYTES:
        return problem(413, "too_large", "Webhook bodies are limited to 1 MB.")
    body = request.body
    try:
        outcome = receive_webhook(token=token, body=body, headers=dict(request.headers))
    except UnknownWebhook as error:
        return problem(404, "unknown_webhook", str(error))
    except WebhookRejected as error:
        return problem(401, "bad_signature", str(error), "signature")
    except WebhookReplayed as error:
        return problem(409, "replayed", str(error))
    except WebhookMalformed as error:
        return problem(400, "malformed", str(error), "body")
    return JsonResponse(
        {"events": outcome.events, "shipments": outcome.shipments, "changes": outcome.transitions}
    )
