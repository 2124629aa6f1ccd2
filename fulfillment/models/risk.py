"""Address risk at checkout (#20 item 3)."""

from __future__ import annotations

__all__: list[str] = []
