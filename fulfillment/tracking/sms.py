"""Text messages through a pluggable backend, chosen by NEARBOX_SMS_BACKEND (an import path).

Backends: ConsoleSmsBackend (logs, the default), FileSmsBackend (one JSON line per message in
NEARBOX_SMS_FILE_PATH, readable by tests across processes), LocmemSmsBackend (in memory,
`outbox`) and TwilioSmsBackend (Twilio's Messages API, or any service speaking it at
NEARBOX_SMS_TWILIO_BASE_URL). `send(message)` returns the provider's id of the message when it
gives one: delivery reports (fulfillment/messaging/) name the message by it.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str
    reference: str = ""  # ours, e.g. "notification-42"


class ConsoleSmsBackend:
    def send(self, message: SmsMessage) -> None:
        logger.info("SMS to %s: %s", message.to, message.body)


class FileSmsBackend:
    def send(self, message: SmsMessage) -> None:
        path = Path(getattr(settings, "NEARBOX_SMS_FILE_PATH", "") or "var/sms.jsonl")
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(asdict(message)) + "\n"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        try:
            os.write(fd, line.encode())  # one write with O_APPEND: whole lines across processes
        finally:
            os.close(fd)


outbox: list[SmsMessage] = []


class LocmemSmsBackend:
    def send(self, message: SmsMessage) -> None:
        outbox.append(message)


class SmsError(Exception):
    """The provider refused the message; the text says why (its code and message)."""


class TwilioSmsBackend:
    """POST /2010-04-01/Accounts/{AccountSid}/Messages.json, form-encoded To, From (or
    MessagingServiceSid for an MG… sender), Body and StatusCallback, HTTP Basic auth with the
    account SID and auth token; 201 answers the Message resource (its `sid`), an error answers
    {code, message, more_info, status} (samples: tests/fixtures/sms/)."""

    def send(self, message: SmsMessage) -> str:
        account = settings.NEARBOX_SMS_TWILIO_ACCOUNT_SID
        token = settings.NEARBOX_SMS_TWILIO_AUTH_TOKEN
        sender = settings.NEARBOX_SMS_TWILIO_FROM
        if not (account and token and sender):
            raise SmsError(
                "Twilio is not configured (NEARBOX_SMS_TWILIO_ACCOUNT_SID, _AUTH_TOKEN, _FROM)."
            )
        form = {"To": message.to, "Body": message.body, "StatusCallback": status_callback_url()}
        form["MessagingServiceSid" if sender.startswith("MG") else "From"] = sender
        base = settings.NEARBOX_SMS_TWILIO_BASE_URL.rstrip("/")
        url = f"{base}/2010-04-01/Accounts/{account}/Messages.json"
        try:
            answer = httpx.post(url, data=form, auth=(account, token), timeout=10)
        except httpx.HTTPError as error:
            raise SmsError(f"Twilio could not be reached: {error}") from error
        try:
            body = answer.json()
        except ValueError:
            body = {}
        if answer.status_code >= 400 or not isinstance(body, dict) or not body.get("sid"):
            code = (
                body.get("code", answer.status_code)
                if isinstance(body, dict)
                else answer.status_code
            )
            text = body.get("message", "") if isinstance(body, dict) else ""
            raise SmsError(f"Twilio refused the message ({code}): {text or answer.reason_phrase}")
        return str(body["sid"])


def status_callback_url() -> str:
    return settings.NEARBOX_BASE_URL + reverse("sms_status_callback")


def get_sms_backend():
    path = getattr(settings, "NEARBOX_SMS_BACKEND", "fulfillment.tracking.sms.ConsoleSmsBackend")
    return import_string(path)()
