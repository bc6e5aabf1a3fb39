"""Multi-row INSERT ... RETURNING (COPY on PostgreSQL) for bulk loads: demo data and imports.

Why not ``bulk_create``: measured here, it spends about 140 µs of Python per party row (per-field
``pre_save``/``get_db_prep_save`` and SQL compilation) and caps SQLite batches at 999 parameters
(45 party rows per statement). That alone is 14 s for 100,000 parties before contact points and
history. This writer prepares each column once (constants once per table, dates and JSON with the
backend's own adapters), reuses one statement text per batch size, and still reads the new primary
keys back with ``RETURNING`` exactly as ``bulk_create`` does, so it never assumes an empty table.
Callers run it inside ``transaction.atomic``; it never saves through model instances, so it must only
be used for rows whose values were validated before: by construction (the demo generator, whose tests
check them) or by the same validators the services use (imports).
"""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from django.db import connections, models
from django.db.models import NOT_PROVIDED
from django.utils import timezone

_MAX_ROWS_PER_STATEMENT = 1000
_PG_MAX_PARAMS = 65_535


def _param_limit(alias: str) -> int:
    connection = connections[alias]
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        raw = connection.connection
        limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if hasattr(raw, "getlimit") else 999
        return int(limit)
    if connection.vendor == "postgresql":
        return _PG_MAX_PARAMS
    return int(connection.features.max_query_params or 999)


class TableWriter:
    """Inserts tuples into one model's table.

    ``columns`` names the model fields supplied by each row, in order (foreign keys by field name,
    values as ids); columns in ``prepared`` already hold database-ready values (see ``prepare_datetime``,
    to convert a timestamp shared by many rows once); ``fixed`` gives other fields one value for every row.
    Every other concrete field gets its default (``auto_now``/``auto_now_add``
    fields: the time the writer was made), prepared for the database once.
    """

    def __init__(
        self,
        model: type[models.Model],
        columns: Sequence[str],
        *,
        prepared: Sequence[str] = (),
        fixed: Mapping[str, Any] | None = None,
        using: str = "default",
    ) -> None:
        self.model = model
        self.using = using
        connection = connections[using]
        meta = model._meta
        pk = meta.pk
        assert pk is not None
        self.pk_column = str(pk.column)
        fields: list[models.Field[Any, Any]] = []
        for name in columns:
            field = meta.get_field(name)
            if not isinstance(field, models.Field) or not field.concrete:
                raise ValueError(f"{meta.label}.{name} is not a column")
            fields.append(field)
        now = timezone.now()
        self.now = now
        constants: list[tuple[str, Any]] = []
        for field in meta.concrete_fields:
            if field.primary_key or field.name in columns:
                continue
            if fixed and field.name in fixed:
                value: Any = fixed[field.name]
            elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = now
            else:
                value = field.get_default()
            if value is None:
                if not field.null:
                    raise ValueError(f"{meta.label}.{field.name} needs a value: add it to the columns")
                if field.db_default is NOT_PROVIDED:
                    # Left out of the INSERT: the column's SQL default is NULL, and fewer parameters bind faster.
                    continue
            constants.append((field.column, field.get_db_prep_save(value, connection)))
        self.column_names = [str(f.column) for f in fields] + [c for c, _ in constants]
        self.constants = tuple(v for _, v in constants)
        self.adapters: list[tuple[int, Callable[[Any], Any]]] = []
        for i, column_field in enumerate(fields):
            if column_field.name in prepared:
                continue
            adapter = self._adapter(column_field, connection)
            if adapter is not None:
                self.adapters.append((i, adapter))
        width = len(self.column_names)
        self.rows_per_statement = max(1, min(_MAX_ROWS_PER_STATEMENT, _param_limit(using) // width))
        qn = connection.ops.quote_name
        # Only identifiers from the model's metadata, quoted by the backend, go into the SQL text;
        # every value is a bound parameter.
        self._head = (
            f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(c) for c in self.column_names)}) VALUES "  # noqa: S608
        )
        self.vendor = connection.vendor
        # Inserts on SQLite run on the driver's cursor (see ``insert``), which takes "?" placeholders;
        # upserts go through Django's, whose query log formats "%s" ones
        self._row_sql = "(" + ", ".join(["%s"] * width) + ")"
        self._insert_row_sql = (
            "(" + ", ".join(["?"] * width) + ")" if self.vendor == "sqlite" else self._row_sql
        )
        self._returning = f" RETURNING {qn(self.pk_column)}"
        self._statements: dict[tuple[int, bool], str] = {}
        self._sequence: str | None = None

    @staticmethod
    def _adapter(field: Any, connection: Any) -> Callable[[Any], Any] | None:
        """Per-value conversion for the few field types whose Python value the driver cannot take as is."""
        if isinstance(field, models.DateTimeField):
            return connection.ops.adapt_datetimefield_value
        if isinstance(field, models.DateField):
            return connection.ops.adapt_datefield_value
        if isinstance(field, models.JSONField):
            adapt_json, encoder = connection.ops.adapt_json_value, field.encoder
            return lambda value: adapt_json(value, encoder)
        return None

    def prepare_datetime(self, value: Any) -> Any:
        """``value`` as the database stores it, for a ``prepared`` datetime column."""
        return connections[self.using].ops.adapt_datetimefield_value(value)

    def _statement(self, rows: int, returning: bool) -> str:
        key = (rows, returning)
        sql = self._statements.get(key)
        if sql is None:
            sql = (
                self._head + ", ".join([self._insert_row_sql] * rows) + (self._returning if returning else "")
            )
            self._statements[key] = sql
        return sql

    def _adapted(self, row: Sequence[Any]) -> Sequence[Any]:
        if not self.adapters:
            return row
        values = list(row)
        for i, adapt in self.adapters:
            if values[i] is not None:
                values[i] = adapt(values[i])
        return values

    def _batches(self, rows: Sequence[Sequence[Any]]) -> Iterator[tuple[int, list[Any]]]:
        """``rows`` cut to statement size: how many rows each batch holds and its parameters."""
        constants = self.constants
        step = self.rows_per_statement
        for start in range(0, len(rows), step):
            batch = rows[start : start + step]
            params: list[Any] = []
            for row in batch:
                params.extend(self._adapted(row))
                params.extend(constants)
            yield len(batch), params

    def insert(self, rows: Sequence[Sequence[Any]], *, returning: bool = False) -> list[int]:
        """Insert ``rows``; with ``returning`` the new primary keys in row order, else an empty list."""
        if not rows:
            return []
        if self.vendor == "postgresql":
            return self._copy(rows, returning)
        ids: list[int] = []
        connection = connections[self.using]
        connection.ensure_connection()
        # The driver's own cursor, with its "?" placeholders: Django's wrapper rewrites every "%s" of a
        # statement by regular expression on each execution, a twentieth of an import's time. Its
        # error translation is kept, so callers still catch django.db.DatabaseError.
        with connection.wrap_database_errors:
            cursor = connection.connection.cursor()
            try:
                for count, params in self._batches(rows):
                    cursor.execute(self._statement(count, returning), params)
                    if returning:
                        ids.extend(r[0] for r in cursor.fetchall())
            finally:
                cursor.close()
        if returning and len(ids) != len(rows):
            raise RuntimeError(
                f"{self.model._meta.label}: inserted {len(rows)} rows, got {len(ids)} ids back"
            )
        return ids

    def upsert(
        self, rows: Sequence[Sequence[Any]], *, conflict: Sequence[str], update: Sequence[str]
    ) -> None:
        """Insert ``rows``; where a row with the same ``conflict`` fields exists, set its ``update``
        fields instead (``INSERT ... ON CONFLICT DO UPDATE``, which SQLite and PostgreSQL share), so a
        concurrent writer of the same row cannot make it fail."""
        if not rows:
            return
        connection = connections[self.using]
        qn = connection.ops.quote_name
        meta = self.model._meta
        targets = ", ".join(qn(str(meta.get_field(name).column)) for name in conflict)  # type: ignore[union-attr]
        sets = ", ".join(
            f"{qn(c)} = excluded.{qn(c)}"
            for c in (str(meta.get_field(name).column) for name in update)  # type: ignore[union-attr]
        )
        tail = f" ON CONFLICT ({targets}) DO UPDATE SET {sets}"
        with connection.cursor() as cursor:
            for count, params in self._batches(rows):
                cursor.execute(self._head + ", ".join([self._row_sql] * count) + tail, params)

    def _copy(self, rows: Sequence[Sequence[Any]], returning: bool) -> list[int]:
        """PostgreSQL: reserve ids from the table's sequence, then stream the rows with COPY.

        psycopg re-parses a many-parameter INSERT on every execution (only short statements are cached),
        which made it three times slower than SQLite; COPY has no statement to parse. Ids taken with
        nextval() are never handed to anyone else, so concurrent writers cannot collide with them.
        """
        from psycopg import sql

        connection = connections[self.using]
        ids: list[int] = []
        # COPY runs on psycopg's own cursor: its errors are translated to Django's as any query's are
        with connection.cursor() as cursor, connection.wrap_database_errors:
            if returning:
                if self._sequence is None:
                    cursor.execute(
                        "SELECT pg_get_serial_sequence(%s, %s)", [self.model._meta.db_table, self.pk_column]
                    )
                    self._sequence = cursor.fetchone()[0]
                cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [self._sequence, len(rows)])
                ids = [r[0] for r in cursor.fetchall()]
            columns = ([self.pk_column] if returning else []) + self.column_names
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(self.model._meta.db_table), sql.SQL(", ").join(map(sql.Identifier, columns))
            )
            constants = self.constants
            with cursor.cursor.copy(statement) as copy:
                if returning:
                    for pk, row in zip(ids, rows, strict=True):
                        copy.write_row((pk, *self._adapted(row), *constants))
                else:
                    for row in rows:
                        copy.write_row((*self._adapted(row), *constants))
        return ids


def insert_instances(
    model: type[models.Model], objs: Sequence[models.Model], columns: Sequence[str], *, using: str = "default"
) -> None:
    """Insert unsaved, already validated instances through a ``TableWriter`` and set their primary keys.

    ``columns`` lists the fields to take from the instances (foreign keys by field name); the others
    get their defaults, ``auto_now``/``auto_now_add`` fields the current time."""
    if not objs:
        return
    meta = model._meta
    attnames = [meta.get_field(name).attname for name in columns]  # type: ignore[union-attr]
    writer = TableWriter(model, columns, using=using)
    values = operator.attrgetter(*attnames)
    rows = [values(obj) for obj in objs] if len(attnames) > 1 else [(values(obj),) for obj in objs]
    ids = writer.insert(rows, returning=True)
    now = writer.now
    auto = [
        f.attname
        for f in meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        for name in auto:
            if name not in columns:
                setattr(obj, name, now)
        obj._state.adding = False
        obj._state.db = using


_DEFAULTS: dict[type[models.Model], tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...]]] = {}


def new_instance(model: type[models.Model], **values: Any) -> Any:
    """An unsaved instance of ``model`` with ``values`` (plain attributes: ``owner_id``, not ``owner``)
    and every other field at its default, as ``model(**values)`` makes it.

    For rows validated by the hundred thousand: ``Model.__init__`` walks every field and its descriptor
    for each instance, about 10 µs a customer and 8 µs a contact point; this copies a dict of defaults
    worked out once per model (callable defaults are still called for each instance)."""
    cached = _DEFAULTS.get(model)
    if cached is None:
        constant: dict[str, Any] = {}
        calls: list[tuple[str, Callable[[], Any]]] = []
        for field in model._meta.concrete_fields:
            if field.has_default() and callable(field.default):
                calls.append((field.attname, field.default))
            else:
                constant[field.attname] = field.get_default()
        cached = _DEFAULTS[model] = (constant, tuple(calls))
    constant, called = cached
    obj = model.__new__(model)
    state = models.base.ModelState()
    obj.__dict__.update(constant)
    for attname, default in called:
        obj.__dict__[attname] = default()
    unknown = values.keys() - obj.__dict__.keys()
    if unknown:
        raise TypeError(f"{model._meta.label} has no field {', '.join(sorted(unknown))}")
    obj.__dict__.update(values)
    obj._state = state
    return obj
