"""/healthz/live and /healthz/ready for a load balancer, beside the whole report at /healthz."""

from __future__ import annotations

import pytest
from django.test import Client

from config.celery import app

pytestmark = pytest.mark.django_db


def test_liveness_answers_without_asking_the_database_or_anything_else(
    django_assert_num_queries,
):
    with django_assert_num_queries(0):
        response = Client().get("/healthz/live")
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert "no-cache" in response["Cache-Control"]


def test_readiness_checks_database_cache_and_broker():
    response = Client().get("/healthz/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["failed"] == []
    assert body["database"]["ok"] and body["cache"]["ok"] and body["broker"]["ok"]


def test_readiness_is_503_and_names_the_broker_that_does_not_answer():
    answering = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = Client().get("/healthz/ready")
    finally:
        app.conf.broker_url = answering
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False and body["failed"] == ["broker"]
    assert body["broker"]["error"]
    assert body["database"]["ok"] and body["cache"]["ok"]


def test_readiness_is_503_and_names_the_cache_that_does_not_answer(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = Client().get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]


def test_the_whole_report_at_healthz_keeps_its_shape():
    response = Client().get("/healthz")
    assert response.status_code in (200, 503)  # 503 while no beat has ticked in this database
    assert {"ok", "database", "broker", "beat"} <= set(response.json())


@pytest.mark.parametrize("path", ["/healthz", "/healthz/live", "/healthz/ready"])
def test_probes_over_plain_http_are_not_redirected_to_https(settings, path):
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get(path).status_code in (200, 503)
    assert Client().get("/accounts/login/").status_code == 301


def test_probes_answer_only_get():
    assert Client().post("/healthz/live").status_code == 405
    assert Client().post("/healthz/ready").status_code == 405
