"""Log lines: human-readable by default (`make run`), one JSON object a line with
NEARBOX_LOG_FORMAT=json; both carry the request id of the request or task they belong to.

settings.LOGGING puts RequestIdFilter and one of these formatters on the console handler. A
Celery worker configures its own logging: in JSON mode it is told not to (setup_logging), so
Django's LOGGING applies; in text mode its handlers get the filter and the id as a suffix.
"""

from __future__ import annotations

import logging
from typing import Any

from celery.signals import after_setup_logger, after_setup_task_logger, setup_logging
from django.conf import settings
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from config.observability.requestid import current_request_id, current_task


class RequestIdFilter(logging.Filter):
    """Puts request_id (and task_name, task_id inside a task) on every record; passes all."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Django logs a 4xx or 5xx answer after the middleware returned: its record has the request.
        record.request_id = current_request_id.get() or getattr(
            getattr(record, "request", None), "request_id", None
        )
        task_name, task_id = current_task.get()
        if task_id:
            record.task_name, record.task_id = task_name, task_id
        return True


class TextFormatter(logging.Formatter):
    """The wrapped formatter's line, then ` [request_id=…]` when the line belongs to one."""

    def __init__(self, fmt: str | None = None, *, inner: logging.Formatter | None = None) -> None:
        super().__init__(fmt)
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        line = self.inner.format(record) if self.inner else super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{line} [request_id={request_id}]" if request_id else line


class JsonFormatter(_JsonFormatter):
    """{"time", "level", "logger", "message", "request_id", "task_name", "task_id", extras}."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", ["levelname", "name", "message"])
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")
        # runserver's and Django's records carry the request or socket object: not log data.
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request", "server_time"])
        super().__init__(**kwargs)


def json_logs() -> bool:
    return getattr(settings, "NEARBOX_LOG_FORMAT", "text") == "json"


def _leave_logging_to_django(**_: object) -> None:
    """Connected only in JSON mode: a receiver tells Celery not to configure logging."""


def _tag_celery_handlers(logger: logging.Logger | None = None, **_: object) -> None:
    for handler in getattr(logger, "handlers", []):
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
        if not isinstance(handler.formatter, TextFormatter):
            handler.setFormatter(TextFormatter(inner=handler.formatter or logging.Formatter()))


def connect() -> None:
    if json_logs():
        setup_logging.connect(_leave_logging_to_django, weak=False, dispatch_uid="nearbox-logs")
    else:
        after_setup_logger.connect(_tag_celery_handlers, weak=False, dispatch_uid="nearbox-l1")
        after_setup_task_logger.connect(_tag_celery_handlers, weak=False, dispatch_uid="nearbox-l2")
