"""Migrations never lock a hot table for long: every migration's SQL (as sqlmigrate writes it,
on PostgreSQL) is checked for the statements that block inserts on a big table for the length of
a full scan or rewrite. bench/migrations_hot.py measures the real thing on 10M events.

Why not a library: django-migration-linter checks that migrations stay compatible with the
previous code (NOT NULL columns, drops, renames), not the locks they take on which tables;
django-pg-zero-downtime-migrations replaces the database backend for every migration, a bigger
change than this check. The rules:

- CREATE INDEX / ADD CONSTRAINT UNIQUE on a hot table: a SHARE lock (no writes) while the index
  is built. Use fulfillment.housekeeping.operations.AddIndexConcurrentlyIfPostgres (atomic=False).
- ALTER COLUMN ... TYPE: a rewrite under ACCESS EXCLUSIVE (no reads either).
- ADD COLUMN with a volatile default (clock_timestamp(), random(), gen_random_uuid()): a rewrite.
  A constant default, or Django's default (written once, then dropped), is instant since PG 11.
- SET NOT NULL, ADD CONSTRAINT CHECK / FOREIGN KEY without NOT VALID, ADD COLUMN ... REFERENCES:
  a full scan under a lock that blocks writes.

Migrations made before this check (hot tables were small then) are listed in HISTORICAL."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.db import connection, migrations, models
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState

from fulfillment.housekeeping.operations import AddIndexConcurrentlyIfPostgres

# The tables that grow with every order, parcel and webhook.
HOT_MODELS = [
    "fulfillment.Order",
    "fulfillment.OrderLine",
    "fulfillment.OrderEvent",
    "fulfillment.Shipment",
    "fulfillment.ShipmentEvent",
    "fulfillment.WebhookReceipt",
    "fulfillment.Notification",
    "integrations.InboundWebhook",
    "integrations.PlatformOrder",
    "integrations.WebhookEvent",
    "integrations.WebhookDelivery",
    "merchant.Job",
]

# Before the cut-off (#21): each ran when its tables were new or small.
HISTORICAL = {
    ("fulfillment", "0003_tracking"),
    ("fulfillment", "0005_drop_covered_indexes"),
    ("fulfillment", "0009_order_source_platforms"),
}

VOLATILE = r"(clock_timestamp|random|gen_random_uuid|uuid_generate_v\d|timeofday)\s*\("
ALTER = r'^ALTER TABLE "(?P<t>\w+)" '
RULES = [
    (
        "index built without CONCURRENTLY",
        r'^CREATE (UNIQUE )?INDEX (?!CONCURRENTLY)\S+ ON "(?P<t>\w+)"',
    ),
    ("unique constraint built under lock", ALTER + r"ADD CONSTRAINT \S+ UNIQUE"),
    ("column type changed (rewrite)", ALTER + r".*ALTER COLUMN \S+ TYPE "),
    (
        "column added with a volatile default (rewrite)",
        ALTER + r"ADD COLUMN .*DEFAULT .*" + VOLATILE,
    ),
    ("SET NOT NULL scans under lock", ALTER + r".*SET NOT NULL"),
    (
        "constraint validated under lock",
        ALTER + r"ADD CONSTRAINT \S+ (CHECK|FOREIGN KEY)(?!.*NOT VALID)",
    ),
    (
        "foreign key column validated under lock",
        ALTER + r"ADD COLUMN .* REFERENCES (?!.*NOT VALID)",
    ),
]
# pytest-django makes the test database only for a run with a django_db test. The migrations'
# SQL is collected by module fixtures, before a test's transaction opens: a migration with
# atomic = False checks that it runs outside one, as under `migrate`.
pytestmark = pytest.mark.django_db

CREATED = re.compile(r'^CREATE TABLE "(\w+)"')


def hot_tables() -> set[str]:
    return {apps.get_model(label)._meta.db_table for label in HOT_MODELS}


def violations(statements: list[str], hot: set[str]) -> list[str]:
    """What in one migration's SQL would block writes on a hot table it did not just create."""
    created = {m.group(1) for s in statements if (m := CREATED.match(s.strip()))}
    found = []
    for statement in statements:
        text = " ".join(statement.split())
        for reason, pattern in RULES:
            m = re.search(pattern, text, flags=re.IGNORECASE)
            if m and m.group("t") in hot and m.group("t") not in created:
                found.append(f"{reason}: {text[:160]}")
    return found


def collect_sql(
    migration: migrations.Migration, state: ProjectState
) -> tuple[list[str], ProjectState]:
    with connection.schema_editor(collect_sql=True, atomic=migration.atomic) as editor:
        state = migration.apply(state, editor, collect_sql=True)
    return editor.collected_sql, state


@pytest.fixture(scope="module")
def every_migration_sql(django_db_setup, django_db_blocker) -> dict[tuple[str, str], list[str]]:
    """Each migration's SQL in the order `migrate` applies them (no transaction around: a
    migration with atomic = False checks that it is outside one, as under `migrate`)."""
    with django_db_blocker.unblock():
        loader = MigrationLoader(connection, replace_migrations=True)
        plan: list[tuple[str, str]] = []
        for leaf in sorted(loader.graph.leaf_nodes()):
            plan += [n for n in loader.graph.forwards_plan(leaf) if n not in plan]
        state = ProjectState(real_apps=loader.unmigrated_apps)
        sql = {}
        for node in plan:
            sql[node], state = collect_sql(loader.graph.nodes[node], state)
        return sql


@pytest.fixture(scope="module")
def final_state(django_db_setup, django_db_blocker) -> ProjectState:
    with django_db_blocker.unblock():
        loader = MigrationLoader(connection, replace_migrations=True)
        return loader.project_state()


def test_no_migration_after_the_cut_off_blocks_writes_on_a_hot_table(every_migration_sql):
    hot = hot_tables()
    found = {
        node: problems
        for node, statements in every_migration_sql.items()
        if node not in HISTORICAL and (problems := violations(statements, hot))
    }
    assert found == {}, "\n".join(f"{a}.{n}: {p}" for (a, n), ps in found.items() for p in ps)


def test_every_historical_exception_is_a_real_migration(every_migration_sql):
    assert set(every_migration_sql) >= HISTORICAL


def test_the_retention_index_is_built_concurrently(every_migration_sql):
    sql = every_migration_sql[("fulfillment", "0015_data_growth")]
    assert any("CREATE INDEX CONCURRENTLY" in s and "shipment_event_age" in s for s in sql)


@pytest.fixture(scope="module")
def trial_sql(final_state, django_db_blocker) -> dict[str, list[str]]:
    """The SQL of two made-up migrations: the usual way, and the concurrent one."""
    bad = migrations.Migration("9999_bad", "fulfillment")
    bad.operations = [
        migrations.AddIndex("shipmentevent", models.Index(fields=["status"], name="bad_idx")),
        migrations.AlterField("shipment", "status_text", models.TextField(blank=True)),
        migrations.AddField(
            "shipmentevent", "note", models.CharField(max_length=5, null=True, blank=True)
        ),
    ]
    good = migrations.Migration("9999_good", "fulfillment")
    good.atomic = False
    good.operations = [
        AddIndexConcurrentlyIfPostgres(
            "shipmentevent", models.Index(fields=["status"], name="ok_idx")
        )
    ]
    with django_db_blocker.unblock():
        return {
            "bad": collect_sql(bad, final_state.clone())[0],
            "good": collect_sql(good, final_state.clone())[0],
        }


def test_a_plain_index_on_shipment_events_is_caught(trial_sql):
    found = violations(trial_sql["bad"], hot_tables())

    assert any(p.startswith("index built without CONCURRENTLY") for p in found)
    assert any(p.startswith("column type changed") for p in found)
    assert len(found) == 2  # a nullable column without a default is instant


def test_the_concurrent_operation_passes(trial_sql):
    assert violations(trial_sql["good"], hot_tables()) == []
    assert any("CONCURRENTLY" in s for s in trial_sql["good"])


@pytest.mark.parametrize(
    "statement",
    [
        'ALTER TABLE "fulfillment_order" ADD COLUMN "k" uuid DEFAULT gen_random_uuid() NOT NULL',
        'ALTER TABLE "fulfillment_shipment" ALTER COLUMN "status_text" SET NOT NULL',
        'ALTER TABLE "merchant_job" ADD CONSTRAINT "c" CHECK ("done" >= 0)',
        'ALTER TABLE "fulfillment_shipmentevent" ADD CONSTRAINT "u" UNIQUE ("event_id")',
    ],
)
def test_locking_statements_are_caught(statement):
    assert violations([statement], hot_tables())


def test_a_not_valid_constraint_and_a_new_table_pass():
    assert not violations(
        ['ALTER TABLE "merchant_job" ADD CONSTRAINT "c" CHECK ("done" >= 0) NOT VALID'],
        hot_tables(),
    )
    new_table = [
        'CREATE TABLE "fulfillment_order" ("id" bigint)',
        'CREATE INDEX "i" ON "fulfillment_order" ("id")',
    ]
    assert not violations(new_table, hot_tables())
