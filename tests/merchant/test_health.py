"""/healthz reports the database, the real Redis broker and the last beat tick."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from config.celery import app as celery_app
from merchant.models import Heartbeat
from merchant.services.health import record_heartbeat

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_when_database_broker_and_a_fresh_beat_tick_are_there(client):
    record_heartbeat("beat")
    # A tick 40 s old: fresh, and old enough to tell the age is read from it.
    tick = timezone.now() - timedelta(seconds=40)
    Heartbeat.objects.filter(name="beat").update(at=tick)

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["ok"] is True
    assert body["database"]["ok"] is True
    assert body["broker"] == {"ok": True, "transport": "redis"}
    assert body["beat"]["ok"] is True
    assert body["beat"]["last_tick"] == tick.isoformat()
    assert body["beat"]["age_seconds"] >= 40


def test_healthz_is_unavailable_when_the_last_beat_tick_is_old(client):
    record_heartbeat("beat")
    too_old = settings.BEAT_HEARTBEAT_SECONDS * 3 + 31
    Heartbeat.objects.filter(name="beat").update(at=timezone.now() - timedelta(seconds=too_old))

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert body["beat"]["ok"] is False
    assert body["beat"]["age_seconds"] >= too_old
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is True


def test_healthz_is_unavailable_when_beat_never_ticked(client):
    Heartbeat.objects.filter(name="beat").delete()

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["beat"]["ok"] is False
    assert body["beat"]["last_tick"] is None


def test_healthz_is_unavailable_when_the_broker_is_unreachable(client):
    record_heartbeat("beat")
    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        celery_app.conf.broker_url = original

    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert body["broker"]["ok"] is False
    assert body["broker"]["error"]
    assert body["database"]["ok"] is True
    assert body["beat"]["ok"] is True


def test_healthz_is_not_cached(client):
    record_heartbeat("beat")

    response = client.get("/healthz")

    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
