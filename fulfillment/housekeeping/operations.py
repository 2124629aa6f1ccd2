"""AddIndexConcurrently that also runs where `make run` runs (SQLite).

On PostgreSQL it is django.contrib.postgres's operation: CREATE INDEX CONCURRENTLY, which lets
inserts and updates go on while the index is built (its migration must say `atomic = False`).
Elsewhere it is a plain AddIndex. tests/ops/test_migrations_safe.py requires it for every new
index on a hot table."""

from __future__ import annotations

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db.migrations.operations import AddIndex


class AddIndexConcurrentlyIfPostgres(AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)
