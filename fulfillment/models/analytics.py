"""Analytics daily rollups (#20 item 2)."""

from __future__ import annotations

__all__: list[str] = []
