"""The sandbox pushing signed tracking webhooks (DHL Unified body) from its change log."""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from typing import Any

from devtools.courier_sandbox.faults import Faults
from devtools.courier_sandbox.store import SandboxStore
from fulfillment.couriers.adapters.webhooks import signed_headers

logger = logging.getLogger(__name__)


def webhook_body(changes: list[dict[str, Any]], *, reverse: bool) -> bytes:
    by_number: dict[str, list[dict[str, Any]]] = {}
    for change in changes:
        by_number.setdefault(change["trackingNumber"], []).append(change["event"])
    shipments = [
        {"id": number, "events": events if reverse else list(reversed(events))}
        for number, events in by_number.items()
    ]  # newest first like the tracking answer, or oldest first when out of order is injected
    return json.dumps({"shipments": shipments}).encode()


class WebhookPusher(threading.Thread):
    def __init__(
        self, store: SandboxStore, faults: Faults, *, url: str, secret: str, interval: float = 0.2
    ) -> None:
        super().__init__(name="sandbox-webhooks", daemon=True)
        self.store, self.faults, self.url, self.secret = store, faults, url, secret
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        pause = self.interval
        while not self.stopped.wait(pause):
            changes = self.store.webhook_batch()
            if not changes:
                pause = self.interval
                continue
            config = self.faults.config
            body = webhook_body(changes, reverse=config.out_of_order_events)
            sent = all(self.post(body) for _ in range(2 if config.duplicate_events else 1))
            if sent:
                self.store.webhook_sent(changes[-1]["cursor"])
                pause = self.interval
            else:
                pause = min(pause * 2, 10.0)  # the receiver is down: back off, keep the cursor

    def post(self, body: bytes) -> bool:
        headers = {"Content-Type": "application/json", **signed_headers(self.secret, body)}
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return 200 <= response.status < 300
        except (urllib.error.URLError, OSError) as error:
            logger.warning("webhook to %s failed: %s", self.url, error)
            return False
