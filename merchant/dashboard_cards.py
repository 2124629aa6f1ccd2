"""Counts that higher apps put on the Today page without merchant importing them.

Each entry of DASHBOARD_COUNTS is a callable f(merchant) -> Card | None, appended by another
app in its AppConfig.ready() (fulfillment adds the open exceptions). The Today page shows the
cards in that order and redraws them through htmx.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

TONES = ("neutral", "ok", "warning")


@dataclass(frozen=True)
class Card:
    label: str
    count: int
    url: str = ""
    tone: str = "neutral"  # one of TONES: how the count is coloured


DASHBOARD_COUNTS: list[Callable[[Any], Card | None]] = []


def register(provider: Callable[[Any], Card | None]) -> None:
    """Add a card provider once (ready() may run again in tests)."""
    if provider not in DASHBOARD_COUNTS:
        DASHBOARD_COUNTS.append(provider)


def cards_for(merchant: Any) -> list[Card]:
    cards = []
    for provider in DASHBOARD_COUNTS:
        try:
            card = provider(merchant)
        except Exception:  # one broken count must not take the Today page down
            logger.exception("dashboard card %r failed", provider)
            continue
        if card is not None:
            cards.append(card)
    return cards
