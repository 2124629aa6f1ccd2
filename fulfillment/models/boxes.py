"""Stub: see the helper brief; replace this docstring."""

from __future__ import annotations

__all__: list[str] = []
