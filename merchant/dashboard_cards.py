"""Counts that higher apps put on the Today page without merchant importing them.

Each entry of DASHBOARD_COUNTS is a callable f(merchant) -> Card, a list of cards or None,
appended by another app in its AppConfig.ready() (fulfillment adds today's work and the open
exceptions). The Today page shows the cards in that order and redraws them through htmx; it says
"nothing to pick or pack yet" only while every `work` card counts 0.
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
    work: bool = False  # counts orders waiting to be worked on (picked, packed, handed over)


Provider = Callable[[Any], Card | list[Card] | None]
DASHBOARD_COUNTS: list[Provider] = []


def register(provider: Provider) -> None:
    """Add a card provider once (ready() may run again in tests)."""
    if provider not in DASHBOARD_COUNTS:
        DASHBOARD_COUNTS.append(provider)


def cards_for(merchant: Any) -> list[Card]:
    cards: list[Card] = []
    for provider in DASHBOARD_COUNTS:
        try:
            found = provider(merchant)
        except Exception:  # one broken count must not take the Today page down
            logger.exception("dashboard card %r failed", provider)
            continue
        if isinstance(found, Card):
            cards.append(found)
        elif found:
            cards.extend(found)
    return cards
