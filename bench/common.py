"""What the PostgreSQL benchmarks share: a throwaway database of their own beside the one in
DATABASE_URL, and Django set up on it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres:postgres@127.0.0.1:5432/nearbox"
SANDBOX_KEY = "bench-sandbox-key"


def database_urls(name: str) -> tuple[str, str]:
    """(URL of the bench database `name`, URL of the server's maintenance database)."""
    parts = urlsplit(os.environ.get("DATABASE_URL", DEFAULT_URL))
    if not parts.scheme.startswith("postgres"):
        sys.exit(f"{sys.argv[0]} needs PostgreSQL: set DATABASE_URL=postgres://…")
    return (
        urlunsplit(parts._replace(path=f"/{name}")),
        urlunsplit(parts._replace(path="/postgres")),
    )


def admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def recreate_database(admin_url: str, name: str) -> None:
    admin(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin(admin_url, f"CREATE DATABASE {name}")


def drop_database(admin_url: str, name: str) -> None:
    admin(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def setup_django(bench_url: str, **env_defaults: str) -> None:
    """Point Django at the bench database (test settings unless told otherwise) and migrate."""
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    for name, value in env_defaults.items():
        os.environ.setdefault(name, value)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def vacuum_analyze(*tables: str) -> None:
    """What autovacuum does between bulk loads and the timed part in production. This machine's
    PostgreSQL runs with autovacuum off: without it the planner keeps the statistics of a fresh
    (empty) bench database and dead rows pile up across runs. No tables: the whole database."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables or ("",):
            cursor.execute(f"VACUUM (ANALYZE) {table}")


def chicago_points(merchant) -> list:
    """The three Chicago storage points the label and shipping benches ship from."""
    from merchant.models import StoragePoint

    names = ["West Loop Warehouse", "Lincoln Park", "Pilsen Store"]
    return [
        StoragePoint.objects.create(
            merchant=merchant,
            name=name,
            address_line=f"{100 + n} W Fulton Market",
            city="Chicago",
            state="IL",
            postal_code=f"6060{n + 1}",
            latitude=41.88 + n / 100,
            longitude=-87.65,
        )
        for n, name in enumerate(names)
    ]


def parcel_products(merchant, count: int = 10, sku: str = "SKU-{n}") -> list:
    """`count` boxed products from 200 g up, 20 × 15 × 8 cm."""
    from merchant.models import Product

    return [
        Product.objects.create(
            merchant=merchant,
            sku=sku.format(n=n),
            name=f"Product {n}",
            weight_g=200 + 50 * n,
            length_mm=200,
            width_mm=150,
            height_mm=80,
        )
        for n in range(count)
    ]


def start_sandbox(
    *, speed: float, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    """The courier sandbox (devtools/courier_sandbox) on a free port, its clock at `speed`
    simulated seconds per second; returns (process, base URL). Kill it with os.killpg: it runs
    in a session of its own."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "devtools.courier_sandbox", "--port", "0",
         "--api-key", SANDBOX_KEY, "--speed", str(speed), "--seed", "7"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, **(env or {})},
        start_new_session=True,
    )  # fmt: skip
    assert proc.stdout is not None
    match = re.search(r"http://[\d.]+:\d+", proc.stdout.readline())
    if not match:
        raise RuntimeError("the sandbox did not start")
    return proc, match.group(0)


def book_parcels(client, count: int) -> list[str]:
    """Book `count` parcels at the sandbox (`client`: an httpx.Client on its URL with the
    DHL-API-Key header), 16 at a time; returns their tracking numbers."""
    body = {
        "service": "next-day", "reference": "bench",
        "sender": {"name": "Shop", "city": "Chicago", "postal_code": "60601", "country": "US"},
        "recipient": {"name": "Ana", "city": "Evanston", "postal_code": "60201", "country": "US"},
        "parcels": [{"weight_g": 500, "length_mm": 200, "width_mm": 150, "height_mm": 100}],
    }  # fmt: skip

    def one(_i: int) -> str:
        key = f"bench-{uuid.uuid4().hex}"
        answer = client.post("/shipments", json=body, headers={"Idempotency-Key": key})
        answer.raise_for_status()
        return answer.json()["trackingNumber"]

    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(one, range(count)))
