"""Capacity advice: courier pick-ups booked per point (#20 item 5)."""

from __future__ import annotations

__all__: list[str] = []
