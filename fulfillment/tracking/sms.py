"""Text messages through a pluggable backend, chosen by NEARBOX_SMS_BACKEND (an import path).

Backends: ConsoleSmsBackend (logs, the default), FileSmsBackend (one JSON line per message in
NEARBOX_SMS_FILE_PATH, readable by tests across processes) and LocmemSmsBackend (in memory,
`outbox`). A real provider is one more class with `send(message)`.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
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


def get_sms_backend():
    path = getattr(settings, "NEARBOX_SMS_BACKEND", "fulfillment.tracking.sms.ConsoleSmsBackend")
    return import_string(path)()
