"""POST /webhooks/couriers/<token>: a courier pushes tracking events and live courier positions
(plain Django view: the body must be read raw for the signature). Errors are JSON problems with
a stable code; a good push answers what was stored (`positions`, `ignored_positions` when it
carried positions: those for no shipment of the account are ignored, not an error)."""

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
    WebhookRetry,
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
    length = request.headers.get("Content-Length") or "0"
    if not (length.isascii() and length.isdigit()):  # "²".isdigit(), yet int("²") fails
        return problem(400, "malformed", "Content-Length is not a number.", "body")
    if int(length) > MAX_BODY_BYTES:
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
    except WebhookRetry as error:  # couriers send a webhook again after a 5xx
        answer = problem(503, "try_again", str(error))
        answer["Retry-After"] = "5"
        return answer
    answer = {
        "events": outcome.events,
        "shipments": outcome.shipments,
        "changes": outcome.transitions,
    }
    if outcome.positions or outcome.unmatched_positions:
        answer["positions"] = outcome.positions
        answer["ignored_positions"] = outcome.unmatched_positions
    return JsonResponse(answer)
