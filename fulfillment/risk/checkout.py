"""The risk in the delivery-options answer: `risk: {score, level, reasons, suggestion}`, and, when
the score is over the merchant's threshold, the nearest locker or pickup shop put first with a
short reason the widget shows ("Parcels to this area often come back; a locker 300 m away holds
it for 7 days.")."""

from __future__ import annotations

import logging

from fulfillment.risk.features import AddressFacts
from fulfillment.risk.services import assess

GENERIC = "Home deliveries to this address often fail"
log = logging.getLogger(__name__)
KIND_WORDS = {"locker": "a locker", "shop": "a pickup shop"}


def distance_words(metres: int) -> str:
    if metres < 1000:
        return f"{max(10, round(metres / 10) * 10)} m"
    return f"{metres / 1000:.1f} km"


def suggestion_text(reason: str, kind: str, metres: int, days: int) -> str:
    reason = (reason or GENERIC).rstrip(".")
    return f"{reason}; {KIND_WORDS[kind]} {distance_words(metres)} away holds it for {days} days."


def _nearest_place(answer: dict) -> tuple[str, dict] | None:
    candidates = [
        (kind, rows[0])
        for kind, rows in (
            ("locker", answer.get("lockers") or []),
            ("shop", answer.get("shops") or []),
        )
        if rows
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda pair: (pair[1]["distance_m"], pair[0] != "locker"))


def with_risk(answer: dict, *, merchant, facts: AddressFacts, hold_days: int) -> dict:
    """Add `risk` to a delivery-options answer; over the threshold (and switched on) the nearest
    locker or shop is first in its list and named in `risk.suggestion` with the reason.

    The risk is an extra: when scoring fails (a broken model row, a database hiccup) the answer
    goes out as it was, without `risk`, and the failure is logged as a warning; never a 500 at
    checkout. Nothing in `answer` changes until the whole risk block is built."""
    try:
        risk, reorder = _risk_block(answer, merchant=merchant, facts=facts, hold_days=hold_days)
    except Exception:
        log.warning("address risk: no score for merchant %s's checkout", merchant.pk, exc_info=True)
        return answer
    if reorder is not None:
        key, place = reorder
        answer[key] = [place] + [p for p in answer[key] if p is not place]
    answer["risk"] = risk
    return answer


def _risk_block(
    answer: dict, *, merchant, facts: AddressFacts, hold_days: int
) -> tuple[dict, tuple[str, dict] | None]:
    found = assess(merchant, facts)
    risk = {
        "score": found["score"],
        "level": found["level"],
        "reasons": [{"code": r["code"], "text": r["text"]} for r in found["reasons"]],
        "suggestion": None,
    }
    nearest = _nearest_place(answer) if found["enabled"] and found["over_threshold"] else None
    if nearest is None:
        return risk, None
    kind, place = nearest
    first = risk["reasons"][0]["text"] if risk["reasons"] else ""
    risk["suggestion"] = {
        "ref": place["ref"],
        "kind": kind,
        "name": place["name"],
        "distance_m": place["distance_m"],
        "hold_days": hold_days,
        "reason": risk["reasons"][0]["code"] if risk["reasons"] else "",
        "text": suggestion_text(first, kind, place["distance_m"], hold_days),
    }
    return risk, ("lockers" if kind == "locker" else "shops", place)
