"""Text that is longer than its box gets a smaller font step, then wraps; it is never cut.
The one exception is an identifier in a fixed slot next to a barcode (the order reference):
it is shortened in the middle (`shorten_middle`) rather than run into the code.

Widths are counted in "narrow character" units: a CJK ideograph or an emoji is as wide as two
Latin letters, so 北京市朝阳区 steps down like a 12-letter Latin name.
"""

from __future__ import annotations

import unicodedata


def display_width(text: str) -> int:
    if text.isascii():
        return len(text)
    if max(text) < "\u0300":  # Latin-1 and Latin Extended: no combining or wide characters
        return len(text)
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        wide = unicodedata.east_asian_width(ch) in ("W", "F") or ord(ch) >= 0x1F000
        width += 2 if wide else 1
    return width


def size_step(text: str, limits: tuple[int, ...]) -> int:
    """Index of the first limit the text fits in (0 = biggest font); len(limits) when it fits
    none, which renders at the smallest size and wraps anywhere."""
    width = display_width(text)
    for step, limit in enumerate(limits):
        if width <= limit:
            return step
    return len(limits)


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap by display width; words longer than a line are split, not dropped."""
    if display_width(text) <= width:
        return [text] if text.strip() else []
    lines: list[str] = []
    current = ""
    for word in text.split():
        while display_width(word) > width:
            room = width - display_width(current) - (1 if current else 0)
            if room < 4:
                if current:
                    lines.append(current)
                current, room = "", width
            head, word = _split_at_width(word, room)
            lines.append(f"{current} {head}".strip())
            current = ""
        candidate = f"{current} {word}".strip()
        if display_width(candidate) <= width:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def _split_at_width(word: str, width: int) -> tuple[str, str]:
    used = 0
    for i, ch in enumerate(word):
        used += display_width(ch)
        if used > width:
            return word[:i], word[i:]
    return word, ""


def shorten_middle(text: str, width: int) -> str:
    """`text` in at most `width` display units, its middle replaced by "…" when it is longer:
    references differ at both ends (a shop prefix, a running number), so both are kept."""
    if display_width(text) <= width:
        return text
    room = width - 1
    head_room, tail_room = room - room // 2, room // 2
    head, _ = _split_at_width(text, head_room)
    tail, _ = _split_at_width(text[::-1], tail_room)
    return f"{head}…{tail[::-1]}"


# Advance widths in em of DejaVu Sans Bold (the label's font), in classes on the wide side.
_EM_WIDE = {"W": 1.03, "M": 0.87, "m": 1.07, "w": 0.93, "@": 1.0, "%": 1.0}


def bold_em_width(text: str) -> float:
    """An upper bound of `text`'s width in em, set in DejaVu Sans Bold."""
    total = 0.0
    for ch in text:
        if ch in _EM_WIDE:
            total += _EM_WIDE[ch]
        elif ch.isascii():
            total += 0.8 if ch.isupper() else 0.72 if ch.isalnum() else 0.5
        else:
            total += 1.05 * display_width(ch)
    return total
