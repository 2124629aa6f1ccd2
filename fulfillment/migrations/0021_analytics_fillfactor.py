"""Room on each page of the rollup tables for updated rows (PostgreSQL only).

Beat's fold updates an order's stored contribution and its day rows every time the order
changes. With full pages (the default fillfactor of 100) each new row version goes to another
page, and every index of the table is written again; with room left on the page PostgreSQL
keeps the version there and skips the indexes (a HOT update). Pages filled before this
migration keep none until they are written again (`manage.py rebuild_analytics` does).
SET (fillfactor) takes a brief SHARE UPDATE EXCLUSIVE lock: reads and writes go on."""

from django.db import migrations

TABLES = (
    "fulfillment_analyticsorderrollup",
    "fulfillment_analyticsday",
    "fulfillment_analyticszipday",
    "fulfillment_analyticsreasonday",
)
FILLFACTOR = 80


def set_fillfactor(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f'ALTER TABLE "{table}" SET (fillfactor = {FILLFACTOR})')


def reset_fillfactor(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f'ALTER TABLE "{table}" RESET (fillfactor)')


class Migration(migrations.Migration):
    dependencies = [("fulfillment", "0020_capacity")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor, elidable=False)]
