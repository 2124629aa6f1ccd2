"""Settings for the test suite: config/settings.py with test defaults in the environment.

Tests run against real PostgreSQL and Redis (started by `make test`); any variable set in the
environment wins over these defaults.
"""

import os
import re

for name, value in {
    "SECRET_KEY": "test-only-0f3c9a7e5b1d4c2a8e6f0b9d7c5a3e1f2d4b6a8c0e9f7d5b3a1c",
    "DATABASE_URL": "postgres://postgres:postgres@127.0.0.1:5432/nearbox",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    # A queue per test run: parallel runs on one Redis never take each other's tasks.
    "CELERY_QUEUE": f"nearbox-test-{os.getpid()}",
    "ALLOWED_HOSTS": "localhost,127.0.0.1,testserver",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "SECURE_HSTS_SECONDS": "0",
    "STATIC_MANIFEST": "0",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "NEARBOX_VAR_DIR": "/tmp/nearbox-test-var",
    # Outgoing webhooks go to receivers on 127.0.0.1 (tests/integrations/conftest.py).
    "NEARBOX_WEBHOOKS_ALLOW_PRIVATE": "1",
    # The fake shops (devtools/fake_platforms) too, also from the Celery worker of the tests;
    # the tests of the refusal turn it off.
    "NEARBOX_PLATFORMS_ALLOW_LOOPBACK": "1",
    # The courier sandbox and fake couriers run on 127.0.0.1.
    "NEARBOX_COURIERS_ALLOW_PRIVATE": "1",
}.items():
    os.environ.setdefault(name, value)

# Under `pytest -n N` (pytest-xdist, `make test`) each worker process is a run of its own: its
# own Celery queue and worker (the ids above are per process, but the controller's environment
# is inherited), its own Redis database (the broker, the cache that tests clear, job counters,
# rate-limit buckets: merchant and job ids repeat across the workers' databases) and its own
# media folder. gw0 keeps the run's Redis database, gw1 takes the one below it, and so on.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
# Once per worker: the processes a test starts (the Celery worker, a runserver) inherit both the
# worker's name and what it chose, and must keep what it chose (or what the test set).
if _XDIST_WORKER and os.environ.get("NEARBOX_TEST_RUN_OF") != _XDIST_WORKER:
    os.environ["NEARBOX_TEST_RUN_OF"] = _XDIST_WORKER
    _index = int(_XDIST_WORKER.removeprefix("gw"))
    os.environ["CELERY_QUEUE"] = f"nearbox-test-{os.getpid()}"
    # Databases 13 and 12 belong to the default-setup test and the analytics bench: skipped.
    _step = _index if _index < 2 else _index + 2
    os.environ["REDIS_URL"] = re.sub(
        r"/(\d+)$", lambda m: f"/{int(m.group(1)) - _step}", os.environ["REDIS_URL"]
    )
    os.environ["NEARBOX_VAR_DIR"] = f"{os.environ['NEARBOX_VAR_DIR']}-{_XDIST_WORKER}"

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed, tests only
# No collectstatic in tests: serve static files from the app folders directly.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# One test database per test run, so that runs in parallel (several developers or CI jobs on
# one PostgreSQL) never drop each other's database.
DATABASES["default"]["TEST"] = {  # noqa: F405
    "NAME": os.environ.get("NEARBOX_TEST_DB", f"test_nearbox_{os.getpid()}")
}
