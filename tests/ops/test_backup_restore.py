"""Backup and restore as docs/production.md tells an operator: a database loaded with the demo
(migrate + seed_demo, in a fresh PostgreSQL database of its own), `pg_dump -Fc`, `pg_restore`
into another new database, then the app run against the restored one (a Django process with
DATABASE_URL pointed there) finds the orders, shipments and labels and renders their pages.

The client tools must be the server's major version (scripts/test-services.sh installs Debian's
postgresql-client)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

# Run in the restored database's own Django process; prints what it found as JSON.
CHECK = """
import json
from django.test import Client
from django.urls import reverse
from fulfillment.models import Order, Shipment
from merchant.models import User
from demo.seeders.merchant import DEMO_EMAIL

client = Client()
client.force_login(User.objects.get(email=DEMO_EMAIL))
shipment = Shipment.objects.exclude(label="").order_by("pk").first()
orders_page = client.get(reverse("orders"))
shipment_page = client.get(reverse("shipment_detail", args=[shipment.pk]))
print(json.dumps({
    "orders": Order.objects.count(),
    "shipments": Shipment.objects.count(),
    "labels": Shipment.objects.exclude(label="").count(),
    "orders_status": orders_page.status_code,
    "orders_page_links_an_order": any(
        reverse("order_detail", args=[pk]) in orders_page.text
        for pk in Order.objects.values_list("pk", flat=True)
    ),
    "shipment_status": shipment_page.status_code,
    "shipment_page_has_tracking_number": shipment.tracking_number in shipment_page.text,
}))
"""


def server_url(name: str) -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{name}"


def admin(sql: str) -> None:
    with psycopg.connect(server_url("postgres"), autocommit=True) as conn:
        conn.execute(sql)


def manage(url: str, *args: str, tmp_path: Path) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "NEARBOX_VAR_DIR": str(tmp_path / "var"),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def libpq(url: str) -> str:
    """pg_dump/pg_restore take the URL as their dbname, without Django's scheme alias."""
    return urlunsplit(urlsplit(url)._replace(scheme="postgresql"))


@pytest.fixture
def databases() -> Iterator[tuple[str, str]]:
    names = (f"nearbox_backup_src_{os.getpid()}", f"nearbox_restore_{os.getpid()}")
    for name in names:
        admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin(f"CREATE DATABASE {name}")
    yield tuple(server_url(n) for n in names)
    for name in names:
        admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def major(version_text: str) -> int:
    """15 from '15.20 (Debian 15.20-0+deb12u1)' or 'pg_dump (PostgreSQL) 15.20 (Debian …)'."""
    return int(re.search(r"(?:^|\(PostgreSQL\) )(\d+)", version_text).group(1))


def test_client_tools_match_the_server():
    with psycopg.connect(server_url("postgres")) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
    for tool in ("pg_dump", "pg_restore"):
        client = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
        assert major(client) == major(server), (tool, client, server)


def test_a_restored_dump_of_a_seeded_database_runs_the_app(databases, tmp_path):
    source, target = databases
    manage(source, "migrate", "--skip-checks", tmp_path=tmp_path)
    manage(source, "seed_demo", tmp_path=tmp_path)
    dump = tmp_path / "nearbox.dump"

    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", libpq(source)], check=True
    )
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={libpq(target)}", str(dump)],
        check=True,
    )
    admin(f"DROP DATABASE {urlsplit(source).path[1:]} WITH (FORCE)")  # nothing read from it now

    found = json.loads(manage(target, "shell", "-c", CHECK, tmp_path=tmp_path).splitlines()[-1])

    assert found["orders"] > 0 and found["shipments"] > 0 and found["labels"] > 0, found
    assert found["orders_status"] == 200 and found["orders_page_links_an_order"], found
    assert found["shipment_status"] == 200 and found["shipment_page_has_tracking_number"], found
    # Nothing left to migrate: the dump carried django_migrations with the schema.
    plan = manage(target, "migrate", "--plan", "--skip-checks", tmp_path=tmp_path)
    assert "No planned migration" in plan
