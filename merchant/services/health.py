"""What /healthz reports: the database, the broker and the last beat tick."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from merchant.models import Heartbeat


def record_heartbeat(name: str) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now()})


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")  # no ORM path: only asks whether the database answers
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": str(exc)[:200]}


def check_broker() -> dict[str, Any]:
    from config.celery import app

    transport = app.conf.broker_url.split(":", 1)[0]
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return {"ok": True, "transport": transport}
    except Exception as exc:
        return {"ok": False, "transport": transport, "error": str(exc)[:200]}


def check_beat() -> dict[str, Any]:
    # Beat sends a tick every BEAT_HEARTBEAT_SECONDS and a worker records it: an old tick
    # means beat or every worker is down.
    allowed = timedelta(seconds=settings.BEAT_HEARTBEAT_SECONDS * 3 + 30)
    try:
        tick = Heartbeat.objects.filter(name="beat").values_list("at", flat=True).first()
    except Exception as exc:
        return {"ok": False, "error": str(exc)[:200]}
    if tick is None:
        return {"ok": False, "last_tick": None, "error": "beat has not ticked yet"}
    age = (timezone.now() - tick).total_seconds()
    return {
        "ok": age <= allowed.total_seconds(),
        "last_tick": tick.isoformat(),
        "age_seconds": round(age, 1),
    }


def system_health() -> dict[str, Any]:
    checks = {"database": check_database(), "broker": check_broker(), "beat": check_beat()}
    return {"ok": all(c["ok"] for c in checks.values()), **checks}
