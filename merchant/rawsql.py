"""What the few hand-written SQL statements of hot paths share (order intake runs ~10 statements
an order; building each through the ORM costs more CPU than PostgreSQL spends running it).

Rows come back as the ORM would give them: `ModelRows` applies the same database converters
(JSON text to objects, SQLite's text dates to dates) and builds model instances with
`Model.from_db`, so callers cannot tell the difference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Model


def placeholders(count: int) -> str:
    """`%s, %s, …` for an IN list of `count` values (portable, unlike PostgreSQL's ANY)."""
    return ", ".join(["%s"] * count)


@cache
def model_rows(model: type[Model], fields: tuple[str, ...], vendor: str) -> ModelRows:
    """A ModelRows made once per process (the converters depend only on the database vendor;
    pass `connection.vendor`)."""
    return ModelRows(model, fields)


class ModelRows:
    """Turns raw rows whose first columns are `fields` of `model` into instances of `model`."""

    def __init__(self, model: type[Model], fields: Sequence[str]) -> None:
        self.model = model
        self.fields = tuple(fields)
        self.columns = tuple(model._meta.get_field(name).column for name in self.fields)
        table = model._meta.db_table
        self._converters: list[tuple[int, Any, list[Callable]]] = []
        for index, name in enumerate(self.fields):
            field = model._meta.get_field(name)
            column = field.get_col(table)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                self._converters.append((index, column, found))

    def select_list(self, alias: str) -> str:
        """The column list of a SELECT, each column qualified by the table `alias`."""
        return ", ".join(f"{alias}.{connection.ops.quote_name(c)}" for c in self.columns)

    def instance(self, row: Sequence[Any]) -> Model:
        values = list(row[: len(self.fields)])
        for index, column, converters in self._converters:
            for convert in converters:
                values[index] = convert(values[index], column, connection)
        return self.model.from_db(connection.alias, self.fields, values)

    def instances(self, rows: Iterable[Sequence[Any]]) -> list[Model]:
        return [self.instance(row) for row in rows]
