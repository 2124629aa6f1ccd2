"""Where karrio's HTTP leaves karrio and enters our shared layer (CourierHttp).

Every karrio proxy, whatever it imports (`karrio.lib.request`, `karrio.core.utils.request`
bound at import time, `request_with_response`), ends in one module-level function of
karrio/core/utils/helpers.py: `_urlopen_with_span(request, timeout)`, which opens a
urllib Request. That is the one place that sees all of karrio's traffic, so the bridge
replaces it (once, at import) with `_send_through_bridge`:

- inside `routed_through(http, ...)` (a ContextVar set by the bridge adapter for the length
  of one karrio call) the request is sent by that account's CourierHttp: our timeouts,
  retries, per-account rate limit and redaction; the answer goes back to karrio as urllib
  would give it (a response object, or HTTPError for a 4xx);
- outside any bridge call it refuses (KarrioHttpOutsideBridge): nothing in Nearbox talks to
  a carrier behind the shared layer's back;
- a 5xx that our layer hands back (SOAP carries faults in HTTP 500) goes to karrio as an
  answer, not as HTTPError: karrio's own retry loop (DPD's login asks for 2 retries, with
  sleeps) would otherwise repeat what our layer has already retried; karrio's parsers read
  faults from the body either way;
- karrio's `trace` hooks are never called (they would record request bodies, passwords
  included); karrio's loguru output is disabled.

Worker threads: karrio runs some requests in threads. `asyncio.to_thread` copies our
ContextVar; karrio's ThreadPoolExecutor helper (`exec_parrallel`, behind
`lib.run_concurently`) does not, so it is replaced by one that runs each item in a copy of
the caller's context.

The alternative seam, karrio's Mapper to build and parse with our own code sending each
request, would mean rewriting every carrier's proxy (URLs, SOAP actions, token flows): the
very per-carrier code the bridge exists to avoid.
"""

from __future__ import annotations

import contextlib
import contextvars
import email.message
import io
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import karrio.core.utils as karrio_utils
import karrio.core.utils.helpers as karrio_helpers
from loguru import logger as loguru_logger

from fulfillment.couriers.adapters.errors import CourierError, CourierUnavailable
from fulfillment.couriers.adapters.http import CourierHttp

# karrio logs through loguru ("Plugins loaded", request ids, HTTP failures); our logs come from
# the shared layer, with credentials redacted.
loguru_logger.disable("karrio")
# jstruct (karrio's model builder) logs a warning with the carrier's payload (recipient names
# included) for every field karrio's schemas lack; nothing we act on, and personal data.
logging.getLogger("jstruct").setLevel(logging.ERROR)


class KarrioHttpOutsideBridge(CourierUnavailable):
    """karrio tried to reach a carrier outside a bridge call (no account, no shared layer)."""


@dataclass
class Route:
    """One bridge call: the account's HTTP layer and what karrio's URLs are rewritten to."""

    http: CourierHttp | None
    courier: str
    secrets: tuple[str, ...]
    server_url: str = ""  # karrio's own base URL for this carrier (settings.server_url)
    base_url: str = ""  # the account's base URL (e.g. the sandbox); "" keeps karrio's
    replay: bytes | None = None  # a saved answer given to every request (parse_document)
    errors: list[CourierError] = field(default_factory=list)  # what our layer raised
    server_errors: list[str] = field(default_factory=list)  # 5xx answers handed to karrio
    calls: int = 0

    def url_for(self, url: str) -> str:
        if self.base_url and self.server_url and url.startswith(self.server_url):
            return self.base_url + url[len(self.server_url) :]
        return url


_route: contextvars.ContextVar[Route | None] = contextvars.ContextVar("karrio_route", default=None)


@contextlib.contextmanager
def routed_through(route: Route) -> Iterator[Route]:
    """Send every karrio request made in this block (and its worker threads) through route."""
    token = _route.set(route)
    try:
        yield route
    finally:
        _route.reset(token)


class _UrllibAnswer(io.BytesIO):
    """What karrio reads from urlopen(): .read(), .status, .headers, a context manager."""

    def __init__(self, status: int, headers: email.message.Message, content: bytes, url: str):
        super().__init__(content)
        self.status = self.code = status
        self.headers = headers
        self.url = url

    def getcode(self) -> int:
        return self.status

    def info(self) -> email.message.Message:
        return self.headers


def _message_headers(items: Any) -> email.message.Message:
    message = email.message.Message()
    for name, value in items:
        message[name] = value
    return message


def _send_through_bridge(request: urllib.request.Request, timeout: Any = None) -> _UrllibAnswer:
    route = _route.get()
    if route is None:
        raise KarrioHttpOutsideBridge(
            f"karrio tried to reach {request.host} outside a bridge call; refused"
        )
    route.calls += 1
    url = route.url_for(request.full_url)
    if route.replay is not None:  # a saved document: no carrier is asked
        return _UrllibAnswer(200, email.message.Message(), route.replay, url)
    if route.http is None:
        raise KarrioHttpOutsideBridge(f"{route.courier}: no CourierHttp for this bridge call")
    data = request.data
    content = data if isinstance(data, bytes) else (str(data).encode() if data else None)
    try:
        answer = route.http.request(
            request.get_method(),
            url,
            courier=route.courier,
            secrets=route.secrets,
            headers=dict(request.header_items()),
            content=content,
            keep_server_errors=True,
        )
    except CourierError as error:
        route.errors.append(error)
        raise
    headers = _message_headers(answer.headers.multi_items())
    if answer.status_code >= 500:
        route.server_errors.append(f"{request.get_method()} {url} answered {answer.status_code}")
    if 400 <= answer.status_code < 500:
        raise urllib.error.HTTPError(
            url, answer.status_code, f"HTTP {answer.status_code}", headers,
            io.BytesIO(answer.content),
        )  # fmt: skip
    return _UrllibAnswer(answer.status_code, headers, answer.content, url)


def _parallel_in_context(
    function: Callable[[Any], Any], sequence: Sequence[Any], max_workers: int | None = None
) -> list[Any]:
    """karrio's exec_parrallel, each item run in a copy of the caller's context (our route)."""
    pairs = [(contextvars.copy_context(), item) for item in sequence]
    return _original_parallel(lambda pair: pair[0].run(function, pair[1]), pairs, max_workers)


_original_parallel = karrio_helpers.exec_parrallel


def install() -> None:
    """Idempotent: point karrio's urlopen and thread-pool helper at the bridge."""
    karrio_helpers._urlopen_with_span = _send_through_bridge
    karrio_helpers.exec_parrallel = _parallel_in_context
    karrio_utils.exec_parrallel = _parallel_in_context


install()
