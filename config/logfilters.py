"""Logging filters for settings.LOGGING."""

from __future__ import annotations

import logging


class OncePerProcess(logging.Filter):
    """Lets a message that starts with one of `prefixes` through once per process.

    WeasyPrint warns "Using fontTools instead of HarfBuzz-Subset for font …" for every font of
    every PDF when libharfbuzz-subset is missing (scripts/run-deps.sh installs it): said once,
    the advice stays visible without burying the rest of `make run`'s output.
    """

    def __init__(self, prefixes: tuple[str, ...] | list[str] = ()) -> None:
        super().__init__()
        self.prefixes = tuple(prefixes)
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        prefix = next((p for p in self.prefixes if message.startswith(p)), None)
        if prefix is None:
            return True
        if prefix in self.seen:
            return False
        self.seen.add(prefix)
        return True
