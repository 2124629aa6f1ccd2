"""One-click exception actions: redirect, reschedule, shopper self-service (#20 item 4)."""

from __future__ import annotations

__all__: list[str] = []
