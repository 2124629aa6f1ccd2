"""What the few hand-written SQL statements of hot paths share (order intake runs 8 statements
an order; building each through the ORM cost more CPU than PostgreSQL spent running it).

Rows come back as the ORM would give them: `ModelRows` applies the same database converters
(JSON text to objects, SQLite's text dates to dates) and builds model instances with
`Model.from_db`, so callers cannot tell the difference.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.fields import AutoFieldMixin


def placeholders(count: int) -> str:
    """`%s, %s, …` for an IN list of `count` values (portable, unlike PostgreSQL's ANY)."""
    return ", ".join(["%s"] * count)


@cache
def model_rows(model: type[Model], fields: tuple[str, ...], vendor: str) -> ModelRows:
    """A ModelRows made once per process (the converters depend only on the database vendor;
    pass `connection.vendor`)."""
    return ModelRows(model, fields)


class ModelRows:
    """Turns raw rows whose first columns are `fields` (attnames: "merchant_id", not
    "merchant") of `model` into instances of `model`."""

    def __init__(self, model: type[Model], fields: Sequence[str]) -> None:
        self.model = model
        self.fields = tuple(fields)
        self.columns = tuple(model._meta.get_field(name).column for name in self.fields)
        table = model._meta.db_table
        self._converters: list[tuple[int, Any, list[Callable]]] = []
        self._select_lists: dict[str, str] = {}
        for index, name in enumerate(self.fields):
            field = model._meta.get_field(name)
            column = field.get_col(table)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                self._converters.append((index, column, found))

    def select_list(self, alias: str) -> str:
        """The column list of a SELECT, each column qualified by the table `alias`."""
        if alias not in self._select_lists:
            quote = connection.ops.quote_name
            self._select_lists[alias] = ", ".join(f"{alias}.{quote(c)}" for c in self.columns)
        return self._select_lists[alias]

    def instance(self, row: Sequence[Any], db: Any = None) -> Model:
        """The instance of one row (`db`: the connection the row came from, default one)."""
        db = db or connections[DEFAULT_DB_ALIAS]
        values = list(row[: len(self.fields)])
        for index, column, converters in self._converters:
            for convert in converters:
                values[index] = convert(values[index], column, db)
        return self.model.from_db(db.alias, self.fields, values)

    def instances(self, rows: Iterable[Sequence[Any]]) -> list[Model]:
        db = connections[DEFAULT_DB_ALIAS]  # once: each `connection.x` is a thread-local lookup
        return [self.instance(row, db) for row in rows]


def insert_many(*groups: Sequence[Model]) -> None:
    """Insert every group of unsaved instances (one model a group) and set their primary keys.

    On PostgreSQL all groups go in ONE statement (a data-modifying CTE each); elsewhere each
    group is a `bulk_create`. Values are prepared as the ORM does (`pre_save` fills
    `auto_now_add`, `get_db_prep_save` adapts JSON and dates). Groups must not refer to each
    other's new rows: set foreign keys before calling. Like bulk_create, it sends no save
    signals. Meant for a few rows a group (VALUES).
    """
    groups = tuple(group for group in groups if group)
    if not groups:
        return
    if any(type(o) is not type(group[0]) for group in groups for o in group):
        raise TypeError("insert_many takes instances of one model per group")
    # PostgreSQL: every group in one round trip (order intake writes several models an order).
    if connection.vendor != "postgresql":
        for group in groups:
            type(group[0]).objects.bulk_create(group)
        return
    parts, params, results = [], [], []
    for n, group in enumerate(groups):
        sql, values = _insert_sql(group)
        parts.append(f"new_{n} AS ({sql})")
        params.extend(values)
        results.append(f"ARRAY(SELECT id FROM new_{n} ORDER BY id)")
    statement = f"WITH {', '.join(parts)} SELECT {', '.join(results)}"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    for group, ids in zip(groups, row, strict=True):
        # Ids of one statement's rows grow in insertion order, which is VALUES order.
        for instance, pk in zip(group, ids, strict=True):
            instance.pk = pk
            instance._state.adding = False
            instance._state.db = connection.alias


@cache
def _insert_head(model: type[Model], vendor: str) -> tuple[list, str, str]:
    """(fields, `INSERT INTO t (columns) VALUES`, `RETURNING id AS id`) of `model`."""
    meta = model._meta
    if not isinstance(meta.pk, AutoFieldMixin):
        raise TypeError(f"insert_many needs an automatic id ({meta.label} has none)")
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    return (
        fields,
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ",
        (f" RETURNING {quote(meta.pk.column)} AS id"),
    )


def _insert_sql(group: Sequence[Model]) -> tuple[str, list]:
    # VALUES rows of plain parameters: an order's few rows cost less CPU to send this way than
    # as one array per column through `unnest`, which pays off only for many rows.
    model = type(group[0])
    db = connections[DEFAULT_DB_ALIAS]  # once: each `connection.x` is a thread-local lookup
    fields, head, tail = _insert_head(model, db.vendor)
    row = f"({', '.join(['%s'] * len(fields))})"
    params = [
        field.get_db_prep_save(field.pre_save(instance, True), db)
        for instance in group
        for field in fields
    ]
    return head + ", ".join([row] * len(group)) + tail, params


def id_set(ids: Iterable[int]) -> RawSQL:
    """The right-hand side of an `__in` filter for many ids, sent as ONE text parameter: Django
    compiles and psycopg renders an IN list (or a list parameter) value by value, which cost
    more than the query for a few hundred ids. `filter(pk__in=id_set(ids))`."""
    values = sorted({int(i) for i in ids})
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", ["{" + ",".join(map(str, values)) + "}"])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(values)])


def value_set(values: Iterable[str | dt.date], db_type: str) -> RawSQL:
    """`id_set` for texts or dates (`db_type` "text" or "date"): ONE parameter either way."""
    texts = sorted({v.isoformat() if isinstance(v, dt.date) else str(v) for v in values})
    if connection.vendor == "postgresql":
        if db_type not in ("text", "date"):
            raise ValueError(f"value_set: {db_type!r} is not text or date")
        return RawSQL(f"SELECT unnest(%s::{db_type}[])", [array_literal(texts)])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(texts)])


def array_literal(values: Iterable[str | int | dt.date]) -> str:
    """PostgreSQL: the text of an array of `values`, in their order, for one parameter cast to
    an array type (`%s::text[]`): each element quoted, so commas, braces, quotes, backslashes
    and NULL-like words stay text. For many rows of a few columns, one such parameter a column
    (read with unnest) costs PostgreSQL less to parse than the same rows as JSON."""
    return "{" + ",".join(_quoted(v) for v in values) + "}"


def int_array_literal(values: Iterable[int]) -> str:
    """`array_literal` for integers only, without quoting each (thousands a fold)."""
    return "{" + ",".join(map(str, values)) + "}"


def _quoted(value: str | int | dt.date) -> str:
    if isinstance(value, int):
        return str(value)
    text = value.isoformat() if isinstance(value, dt.date) else value
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class CompiledQuery:
    """A `values()` / `values_list()` queryset built and compiled once per process, then run
    again with other parameters (PostgreSQL). Building and compiling a queryset costs ~0.4 ms
    of CPU, and Django's per-row machinery more again: more than PostgreSQL spends on the
    small queries of a hot loop (the analytics fold runs eight a batch).

    `build(*args)` makes the queryset from arguments that each reach the SQL as exactly one
    parameter, unchanged: an int, or an `id_set` / `value_set` (its one text parameter). The
    first run compiles `build` with sentinel arguments of the same kinds (a set with its own
    SQL) and notes where they land among the parameters; later runs put the real ones there
    and read the rows in binary (`binary_cursor`; psycopg's loaders give every column its
    Python value). Elsewhere (SQLite keeps dates as text until Django's converters read them),
    or when a column needs a converter or an argument did not land as itself, it is the ORM
    every time."""

    _SENTINEL = -7_341_000_000_000  # ids are positive, sets are "{…}": never a real parameter

    def __init__(self, build: Callable[..., QuerySet]) -> None:
        self.build = build
        self._compiled: dict[tuple[str, ...], tuple[str, list, list[tuple[int, int]]] | None] = {}

    def dicts(self, *args: Any) -> list[dict[str, Any]]:
        """The rows of a `values()` queryset."""
        names, rows = self._run(args)
        if names is None:
            return list(self.build(*args))
        return [dict(zip(names, row, strict=True)) for row in rows]

    def tuples(self, *args: Any) -> list[tuple]:
        """The rows of a `values_list()` queryset."""
        names, rows = self._run(args)
        return list(self.build(*args)) if names is None else rows

    def _run(self, args: tuple) -> tuple[list[str] | None, list[tuple]]:
        if connection.vendor != "postgresql":
            return None, []
        # A set's SQL (its cast) is part of the compiled statement: the same SQL, the same slot.
        kinds = tuple(arg.sql if isinstance(arg, RawSQL) else "" for arg in args)
        if kinds not in self._compiled:
            self._compiled[kinds] = self._compile(kinds)
        compiled = self._compiled[kinds]
        if compiled is None:
            return None, []
        sql, params, slots = compiled
        params = list(params)
        for at, index in slots:
            params[at] = _one_param(args[index])
        with binary_cursor() as cursor:
            cursor.execute(sql, params)
            return [column.name for column in cursor.description], cursor.fetchall()

    def _compile(self, kinds: tuple[str, ...]) -> tuple[str, list, list[tuple[int, int]]] | None:
        sentinels = [
            RawSQL(kind, [f"sentinel {self._SENTINEL - n}"]) if kind else self._SENTINEL - n
            for n, kind in enumerate(kinds)
        ]
        queryset = self.build(*sentinels)
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        if compiler.get_converters([column for column, _sql, _alias in compiler.select]):
            return None
        wanted = [_one_param(sentinel) for sentinel in sentinels]
        slots = [(at, wanted.index(param)) for at, param in enumerate(params) if param in wanted]
        if sorted(index for _at, index in slots) != list(range(len(kinds))):
            return None  # an argument vanished, was transformed or appears twice: not safe
        return sql, list(params), slots


def binary_cursor() -> Any:
    """PostgreSQL: a cursor (Django's wrapper: errors, the query log) that binds parameters on
    the server and reads results in binary. Django's default cursor renders the parameters into
    the text and reads every value as text, which PostgreSQL formats and psycopg parses again.
    Timestamps beyond Python's range read as the bounds here too (merchant/timestamps.py)."""
    from django.db.backends.postgresql.base import ServerBindingCursor
    from psycopg.pq import Format

    connection.ensure_connection()
    cursor = ServerBindingCursor(connection.connection)
    cursor.format = Format.BINARY
    if connection.queries_logged:
        return connection.make_debug_cursor(cursor)
    return connection.make_cursor(cursor)


def _one_param(value: Any) -> Any:
    """What an argument of a CompiledQuery is as a parameter: an id_set's text, or itself."""
    if isinstance(value, RawSQL):
        (text,) = value.params
        return text
    return value
