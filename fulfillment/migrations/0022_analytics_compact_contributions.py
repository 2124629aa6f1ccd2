"""Stored contributions as compact JSON text (fulfillment/models/analytics.py COUNTER_CODES).

PostgreSQL turns the jsonb into its text (USING rows::text); rows written with the counter
names keep reading as before (the codes fall back to the names) and are rewritten with the
codes the next time their order changes. The ALTER rewrites the table under an exclusive lock
that only the analytics fold and rebuild wait on: nothing on the order or tracking paths reads
it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0021_analytics_fillfactor"),
    ]

    operations = [
        migrations.AlterField(
            model_name="analyticsorderrollup",
            name="rows",
            field=models.TextField(default="{}"),
        ),
    ]
