"""What each machine shares, as settings.py chooses it from the environment: the cache (Redis,
else the database, a file only for the SQLite default), sessions in the database, beat's
scheduler under a Redis lock only with a Redis broker; and the database cache really serves
the rate limits when there is no Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.core.cache import caches
from django.core.management import call_command

from merchant import ratelimit
from tests.support.helpers import ROOT

SHOW = (
    "import json; from django.conf import settings as s; from config.celery import app;"
    "print(json.dumps({"
    "'cache': s.CACHES['default']['BACKEND'], 'session': s.SESSION_ENGINE,"
    "'scheduler': app.conf.beat_scheduler, 'broker': s.CELERY_BROKER_URL.split(':')[0],"
    "'lock_prefix': getattr(s, 'CELERY_REDBEAT_KEY_PREFIX', '')}))"
)


def chosen(**env: str) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {SHOW}"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "PYTHONPATH": str(ROOT),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_with_redis_everything_shared_goes_through_it():
    got = chosen(REDIS_URL="redis://127.0.0.1:6379/15", CELERY_QUEUE="shop-a")
    assert got == {
        "cache": "django.core.cache.backends.redis.RedisCache",
        "session": "django.contrib.sessions.backends.cached_db",
        "scheduler": "redbeat.RedBeatScheduler",
        "broker": "redis",
        "lock_prefix": "shop-a:redbeat:",
    }


def test_postgresql_without_redis_shares_the_cache_in_the_database():
    got = chosen(REDIS_URL="", DATABASE_URL="postgres://postgres:postgres@127.0.0.1:5432/nearbox")
    assert got["cache"] == "django.core.cache.backends.db.DatabaseCache"
    assert got["session"] == "django.contrib.sessions.backends.db"


def test_the_sqlite_default_keeps_its_one_machine_file_cache_and_scheduler(tmp_path):
    got = chosen(REDIS_URL="", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert got["cache"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert got["broker"] == "sqla+sqlite"
    assert got["scheduler"] == "celery.beat:PersistentScheduler"


@pytest.mark.django_db(transaction=True)
def test_rate_limits_count_in_the_database_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "ops_cache",
        }
    }
    call_command("createcachetable", "ops_cache", verbosity=0)
    try:
        first = ratelimit.hit("ops-test", limit=2, window_seconds=60)
        second = ratelimit.hit("ops-test", limit=2, window_seconds=60)
        third = ratelimit.hit("ops-test", limit=2, window_seconds=60)
        assert (first.count, second.count, third.count) == (1, 2, 3)
        assert caches["default"].__class__.__name__ == "DatabaseCache"
    finally:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS ops_cache")
