"""The test settings on SQLite, the database of the default setup (`make run`).

Runs the tests marked `sqlite`: the services and selectors with a vendor branch or
hand-written SQL, so that PostgreSQL-only SQL cannot pass the suite again:

    .venv/bin/python -m pytest -m sqlite -p no:cacheprovider --ds=tests.settings_sqlite -q

Each run gets its own database file in a fresh temporary directory.
"""

import os
import tempfile

_RUN_DIR = tempfile.mkdtemp(prefix="nearbox-sqlite-tests-")
os.environ["DATABASE_URL"] = f"sqlite:///{os.path.join(_RUN_DIR, 'nearbox.sqlite3')}"
os.environ.setdefault("NEARBOX_VAR_DIR", os.path.join(_RUN_DIR, "var"))

from tests.settings import *  # noqa: E402,F403

DATABASES["default"]["TEST"] = {"NAME": os.path.join(_RUN_DIR, "test.sqlite3")}  # noqa: F405
