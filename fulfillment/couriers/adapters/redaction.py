"""Keep credentials out of log lines and error messages."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import quote, quote_plus

MASK = "[redacted]"
MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words


class Redactor:
    def __init__(self, secrets: Iterable[str]) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if secret and len(secret) >= MIN_SECRET_LENGTH:
                forms.update({secret, quote(secret, safe=""), quote_plus(secret)})
        # Longest first, so that a secret containing another is masked whole.
        self._forms = sorted(forms, key=len, reverse=True)

    def __call__(self, text: object) -> str:
        result = str(text)
        for form in self._forms:
            result = result.replace(form, MASK)
        return result


# httpx logs every request URL at INFO from its own code; while a courier request is sent,
# this filter masks the credentials in those records too (a key in a query string).
_current: ContextVar[Redactor | None] = ContextVar("courier_redactor", default=None)
THIRD_PARTY_LOGGERS = ("httpx", "httpcore")


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        redact = _current.get()
        if redact is not None:
            record.msg = redact(record.getMessage())
            record.args = None
        return True


_FILTER = RedactingFilter()
for _name in THIRD_PARTY_LOGGERS:
    logging.getLogger(_name).addFilter(_FILTER)


@contextmanager
def redacting(redactor: Redactor) -> Iterator[None]:
    token = _current.set(redactor)
    try:
        yield
    finally:
        _current.reset(token)
