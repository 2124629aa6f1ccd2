"""Delivery reports from the providers, public endpoints without a session.

Email (any provider, through a small adapter of its own or its webhook's mapping): POST
/webhooks/messages/email-events with `Authorization: Bearer <NEARBOX_EMAIL_EVENTS_TOKEN>` and
JSON `{"events": [{"message_id": "<the Message-ID we sent>", "event": "delivered" | "bounced" |
"complained" | "failed", "recipient": "...", "reason": "..."}]}` (or one event object). Other
event names (opened, deferred…) are accepted and ignored.

SMS (Twilio's status callback): POST /webhooks/messages/sms-status, form fields MessageSid and
MessageStatus, signed with X-Twilio-Signature (HMAC-SHA1 of the URL and the sorted fields with
the auth token, base64)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from fulfillment.messaging.services.sending import record_delivery_report
from fulfillment.models import SentMessage
from fulfillment.tracking.sms import status_callback_url

MAX_BODY = 1_000_000
MAX_EVENTS = 1000
EMAIL_EVENTS = {
    "delivered": SentMessage.State.DELIVERED,
    "bounced": SentMessage.State.BOUNCED,
    "bounce": SentMessage.State.BOUNCED,
    "complained": SentMessage.State.COMPLAINED,
    "complaint": SentMessage.State.COMPLAINED,
    "failed": SentMessage.State.FAILED,
    "dropped": SentMessage.State.FAILED,
    "rejected": SentMessage.State.FAILED,
}
SMS_STATUSES = {
    "delivered": SentMessage.State.DELIVERED,
    "undelivered": SentMessage.State.FAILED,
    "failed": SentMessage.State.FAILED,
}


def _clean(text: str) -> str:
    """Storable text: no NUL (PostgreSQL refuses it) and no lone surrogates (from JSON's
    "\\ud800"; UTF-8 cannot hold them)."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def problem(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status)


def _bearer_ok(request: HttpRequest, token: str) -> bool:
    given = request.headers.get("Authorization", "")
    if not given.startswith("Bearer "):
        return False
    return hmac.compare_digest(given[7:].encode("utf-8", "replace"), token.encode())


def _events(payload: object) -> list | None:
    if isinstance(payload, dict) and "events" in payload:
        payload = payload["events"]
    elif isinstance(payload, dict):
        payload = [payload]
    return payload if isinstance(payload, list) else None


@csrf_exempt
@require_POST
def email_events(request: HttpRequest) -> HttpResponse:
    token = settings.NEARBOX_EMAIL_EVENTS_TOKEN
    if not token:
        raise Http404("Delivery reports are not configured.")
    if not _bearer_ok(request, token):
        return problem(401, "unauthorized", "Send the token as 'Authorization: Bearer …'.")
    if len(request.body) > MAX_BODY:
        return problem(413, "too_large", f"Send at most {MAX_BODY} bytes a request.")
    try:
        events = _events(json.loads(request.body))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return problem(400, "malformed", "The body is not JSON.")
    if events is None or len(events) > MAX_EVENTS:
        return problem(400, "malformed", f"Send {{'events': [...]}} with at most {MAX_EVENTS}.")
    reports = []
    for index, item in enumerate(events):
        message_id = item.get("message_id") if isinstance(item, dict) else None
        name = item.get("event") if isinstance(item, dict) else None
        if not isinstance(message_id, str) or not isinstance(name, str) or len(message_id) > 998:
            return problem(
                400, "malformed", f"events[{index}] needs a message_id and an event (strings)."
            )
        reason = item.get("reason")
        reports.append((message_id, name.lower(), reason if isinstance(reason, str) else ""))
    updated = ignored = 0
    for message_id, name, reason in reports:
        state = EMAIL_EVENTS.get(name)
        found = state and record_delivery_report(
            channel="email", provider_id=_clean(message_id), state=state,
            detail=_clean(reason),
        )  # fmt: skip
        updated, ignored = (updated + 1, ignored) if found else (updated, ignored + 1)
    return JsonResponse({"updated": updated, "ignored": ignored})


def twilio_signature(url: str, params, token: str) -> str:
    data = url + "".join(key + value for key in sorted(params) for value in params.getlist(key))
    digest = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@csrf_exempt
@require_POST
def sms_status(request: HttpRequest) -> HttpResponse:
    token = settings.NEARBOX_SMS_TWILIO_AUTH_TOKEN
    if not token:
        raise Http404("SMS status callbacks are not configured.")
    expected = twilio_signature(status_callback_url(), request.POST, token)
    given = request.headers.get("X-Twilio-Signature", "")
    if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
        return problem(403, "bad_signature", "X-Twilio-Signature does not match.")
    state = SMS_STATUSES.get(request.POST.get("MessageStatus", ""))
    sid = request.POST.get("MessageSid", "")
    if state and sid:
        code = _clean(request.POST.get("ErrorCode", ""))[:40]
        record_delivery_report(
            channel="sms", provider_id=_clean(sid), state=state,
            detail=f"Twilio error {code}" if code else "",
        )  # fmt: skip
    return HttpResponse(status=204)
