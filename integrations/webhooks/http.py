"""One POST of a signed webhook body: httpx, bounded timeouts, no redirects, no proxies from
the environment, and only the first bytes of the answer are read (kept for the log)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from django.conf import settings

from integrations.webhooks.targets import TargetRefused, check_resolved

EXCERPT_BYTES = 500
USER_AGENT = "Nearbox-Webhooks/1"


@dataclass(frozen=True)
class Answer:
    status_code: int | None  # None: no HTTP answer (refused, timeout, connection error)
    excerpt: str
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    try:
        address = check_resolved(url)
        target = httpx.URL(url)
    except (TargetRefused, httpx.InvalidURL) as error:
        return Answer(None, "", str(error)[:300])
    seconds = settings.NEARBOX_WEBHOOKS_TIMEOUT_SECONDS
    timeout = httpx.Timeout(seconds, connect=min(seconds, 5.0))
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
    extensions = {}
    if address is not None:
        # Connect to the address that was checked; the name stays in Host, SNI and the
        # certificate check.
        headers["Host"] = target.netloc.decode("ascii")
        extensions["sni_hostname"] = target.raw_host.decode("ascii")
        target = target.copy_with(host=address)
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client,
            client.stream(
                "POST", target, content=body, headers=headers, extensions=extensions
            ) as response,
        ):
            head = b""
            for chunk in response.iter_bytes():
                head += chunk
                if len(head) >= EXCERPT_BYTES:
                    break
            excerpt = head[:EXCERPT_BYTES].decode("utf-8", "replace").replace("\x00", "")
            return Answer(response.status_code, excerpt, "")
    except httpx.HTTPError as error:
        return Answer(None, "", f"{type(error).__name__}: {error}"[:300])
