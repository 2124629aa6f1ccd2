"""The driver's phone sends actions (start, load, delivered, safe place, failed), each with a
client id it made when the driver tapped. An action kept offline is sent again until the
server answered; DriverAction(driver, client_id) is unique, so the first one stored is applied
and every later copy, even one sent at the same moment, is answered "already done" and changes
nothing. An action that cannot be applied (the stop is another's, a photo is missing) is not
stored: the phone shows the sentence and drops it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from fulfillment.fleet.auth.selectors import get_route_for_driver, get_stop_for_driver
from fulfillment.fleet.live import services
from fulfillment.models import Driver, DriverAction, RouteStop

KINDS = ("start_route", "load", "delivered", "safe_place", "failed")
MAX_CLIENT_ID = 64
# An action queued offline for longer than this is refused (the day is over).
MAX_AGE = dt.timedelta(hours=36)


@dataclass(frozen=True)
class ActionResult:
    action: DriverAction
    applied: bool  # False: this client id was applied before (a resend)


def _clean_text(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else ""
    return text.replace("\x00", "")[:limit]


def apply_action(
    *,
    driver: Driver,
    client_id: str,
    kind: str,
    happened_at: dt.datetime | None = None,
    route_id: object = None,
    stop_id: object = None,
    payload: dict[str, Any] | None = None,
    photo: UploadedFile | None = None,
) -> ActionResult:
    """Apply one action of the driver's phone exactly once. Http404 for a route or stop that
    is not the driver's; ValidationError (field → sentence) for an action that cannot be
    applied."""
    payload = payload if isinstance(payload, dict) else {}
    if not isinstance(client_id, str) or not 8 <= len(client_id) <= MAX_CLIENT_ID:
        raise ValidationError({"client_id": "Each action needs its own id (8-64 characters)."})
    if not client_id.isascii() or not client_id.replace("-", "").replace("_", "").isalnum():
        raise ValidationError({"client_id": "An action id has letters, digits, - and _ only."})
    if kind not in KINDS:
        raise ValidationError({"kind": f"Unknown action; one of {', '.join(KINDS)}."})
    now = timezone.now()
    at = happened_at or now
    if at.tzinfo is None or at > now + services.CLOCK_SKEW or at < now - MAX_AGE:
        raise ValidationError({"happened_at": "That time is not today's."})
    done = DriverAction.objects.filter(driver=driver, client_id=client_id).first()
    if done is not None:
        return ActionResult(done, applied=False)
    stop = get_stop_for_driver(driver, stop_id) if kind in services.OUTCOMES else None
    route = stop.route if stop is not None else get_route_for_driver(driver, route_id)
    try:
        with transaction.atomic():
            # Inserted first: a concurrent copy waits on the unique index, then fails and
            # answers "already done" once this one committed.
            action = DriverAction.objects.create(
                merchant_id=driver.merchant_id,
                driver=driver,
                client_id=client_id,
                kind=kind,
                stop=stop,
                payload=_stored_payload(payload, route_id=route.pk),
                happened_at=at,
            )
            done_stop = _apply(driver=driver, kind=kind, route=route, stop=stop,
                               payload=payload, photo=photo, at=at)  # fmt: skip
            if done_stop is not None:  # the stop as the outcome left it (its answer's state)
                action.stop = done_stop
    except IntegrityError:
        done = DriverAction.objects.filter(driver=driver, client_id=client_id).first()
        if done is None:
            raise
        return ActionResult(done, applied=False)
    return ActionResult(action, applied=True)


def _stored_payload(payload: dict[str, Any], *, route_id: int) -> dict[str, Any]:
    """What is kept of the action (no photo or signature data: those are on the stop)."""
    kept: dict[str, Any] = {"route_id": route_id}
    for key, limit in (("code", 100), ("reason", 16), ("next_step", 12), ("name", 120)):
        if key in payload:
            kept[key] = _clean_text(payload.get(key), limit)
    return kept


def _apply(*, driver, kind, route, stop, payload, photo, at) -> RouteStop | None:
    """Apply the action; a stop outcome returns the stop as it now is."""
    if kind == "start_route":
        services.start_route(driver=driver, route=route, at=at)
        return None
    if kind == "load":
        services.load_parcel(
            driver=driver, route=route, code=_clean_text(payload.get("code"), 200), at=at
        )
        return None
    return services.record_stop_outcome(
        driver=driver,
        stop=stop,
        outcome=kind,
        reason=_clean_text(payload.get("reason"), 20),
        next_step=_clean_text(payload.get("next_step"), 20),
        recipient_name=_clean_text(payload.get("name"), 200),
        photo=photo,
        signature=_clean_text(payload.get("signature"), 12 * 1024 * 1024),
        at=at,
    )
