"""A request id for every request, on its response, its log lines and the tasks it enqueues.

The load balancer's X-Request-ID is kept when it is a short token (nginx's $request_id is 32 hex
digits); anything else, or none, gets a new one. Tasks carry it in a message header
(before_task_publish) and set it again in the worker (task_prerun), so a task's log lines, and
the tasks it enqueues in turn (retries too), carry the id of the request that started them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
TASK_HEADER = "nearbox_request_id"
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")

current_request_id: ContextVar[str] = ContextVar("nearbox_request_id", default="")
# The running task's name and id, for log lines (empty outside a task).
current_task: ContextVar[tuple[str, str]] = ContextVar("nearbox_task", default=("", ""))


def valid_request_id(value: object) -> str:
    """The value when it is a short token (letters, digits, . _ : -, at most 64), else ""."""
    if isinstance(value, str) and _TOKEN.fullmatch(value):
        return value
    return ""


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE: every later middleware's and view's log lines carry the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = valid_request_id(request.headers.get(HEADER)) or new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response[HEADER] = request_id
        return response


def _carry_into_message(headers: dict[str, Any] | None = None, **_: object) -> None:
    request_id = current_request_id.get()
    if request_id and headers is not None:
        headers[TASK_HEADER] = request_id


_task_tokens: dict[str, tuple[Any, Any]] = {}


def _enter_task(task_id: str = "", task: Any = None, **_: object) -> None:
    if task is None or getattr(task.request, "is_eager", False):
        return  # an eager task runs inside its caller's context already
    request_id = valid_request_id(getattr(task.request, TASK_HEADER, None))
    _task_tokens[task_id] = (
        current_request_id.set(request_id),
        current_task.set((task.name, task_id)),
    )


def _leave_task(task_id: str = "", **_: object) -> None:
    tokens = _task_tokens.pop(task_id, None)
    if tokens is not None:
        current_request_id.reset(tokens[0])
        current_task.reset(tokens[1])


def connect() -> None:
    before_task_publish.connect(_carry_into_message, weak=False, dispatch_uid="nearbox-reqid-pub")
    task_prerun.connect(_enter_task, weak=False, dispatch_uid="nearbox-reqid-prerun")
    task_postrun.connect(_leave_task, weak=False, dispatch_uid="nearbox-reqid-postrun")
