"""The on-demand courier posting its webhooks (Stuart's `{event, type, data}` bodies, with the
authentication header set on the webhook), in order, per API client.

A 2xx answer, or a 409 (the receiver had this very body already), settles a delivery; another
4xx drops it (a real courier does not retry a refusal forever); a 5xx or no answer keeps it
and the client's queue waits, backing off, so a receiver that is down loses nothing (and
only the newest position of each job waits: see OnDemandStore.materialise).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request

from devtools.courier_sandbox.ondemand import OnDemandStore

logger = logging.getLogger(__name__)
MAX_BACKOFF_S = 10.0


class OnDemandPusher(threading.Thread):
    def __init__(self, store: OnDemandStore, *, interval: float = 0.25) -> None:
        super().__init__(name="sandbox-ondemand-webhooks", daemon=True)
        self.store, self.interval = store, interval
        self.stopped = threading.Event()
        self._wait_until: dict[str, tuple[float, float]] = {}  # client: (not before, backoff)

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.tick()

    def tick(self) -> None:
        self.store.materialise()
        for client in list(self.store.outbox):
            not_before, _ = self._wait_until.get(client, (0.0, 0.0))
            if time.monotonic() < not_before:
                continue
            self.drain(client)

    def drain(self, client: str) -> None:
        while not self.stopped.is_set():
            delivery = self.store.next_delivery(client)
            target = self.store.webhook_for(client)
            if delivery is None or target is None:
                return
            outcome = self.post(target.url, target.header, target.value, delivery["body"])
            self.store.delivered(client, delivery, outcome)
            if outcome == "failed":
                previous = self._wait_until.get(client, (0.0, 0.25))[1]
                backoff = min(previous * 2, MAX_BACKOFF_S)
                self._wait_until[client] = (time.monotonic() + backoff, backoff)
                return
            self._wait_until.pop(client, None)

    def post(self, url: str, header: str, value: str, body: dict) -> str:
        raw = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "NearboxCourierSandbox/1"}
        if value:
            headers[header] = value
        request = urllib.request.Request(url, data=raw, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return "sent" if 200 <= response.status < 300 else "failed"
        except urllib.error.HTTPError as answer:
            if answer.code == 409:
                return "sent"
            if 400 <= answer.code < 500 and answer.code != 429:
                logger.warning("webhook to %s refused (%s): dropped", url, answer.code)
                return "dropped"
            return "failed"
        except (urllib.error.URLError, OSError) as problem:
            logger.warning("webhook to %s failed: %s", url, problem)
            return "failed"
