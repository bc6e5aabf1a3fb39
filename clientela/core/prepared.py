"""Querysets compiled once per shape and run again with other values: the hottest reads of a page.

Django compiles a queryset's SQL on every evaluation. For the customer page's three reads (the party
with its joined lists, the first timeline page, the upcoming activities) compiling took 1 to 2 ms each,
five to ten times what the database took to answer. ``prepared_rows`` compiles the queryset once per
``key`` and thread, remembers the SQL and where each variable value sits among its parameters, and on
later calls only replaces those values, runs the statement and builds the rows or model instances the
way Django's own iterables do.

The caller's promise: two calls with the same ``key`` build querysets of the same shape, which differ
only in ``values``, each used as a lookup's right-hand side (an id, a date and time, a text). Everything
else that shapes the SQL (who is asking, which filters are on, lists) belongs in the key. A value that
cannot be traced to exactly one kind of parameter makes the key fall back to Django's normal
evaluation, so a wrong promise costs speed, never correctness of the values used.

On PostgreSQL most of what is left is planning: at a million customers the page's reads took 5-7 ms,
most of it spent planning statements that differ only in their values. There a shape is also prepared
on the server (psycopg's protocol-level prepared statements, server-side parameter binding, once per
connection) and later executions skip the planner. ``server_prepare=False`` keeps a read planned on each
execution: a statement whose best plan depends on its values (a filter whose selectivity varies; the
generic plan of a keyset timeline page read a customer's whole history through a plain index on the
customer until that index went: check a new shape's generic plan with ``EXPLAIN`` under
``plan_cache_mode = force_generic_plan``). The first server-prepared execution of a shape inside a transaction runs in a savepoint; a
statement the server cannot type with bound parameters falls back to Django's client-side binding.
``CLIENTELA_PG_PREPARED_READS=false`` turns it off (for a pooler that does not keep prepared statements:
PgBouncer before 1.21, or later ones without ``max_prepared_statements``).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connections
from django.db.models import QuerySet
from django.db.models import query as django_query
from django.db.models.query import ModelIterable, ValuesListIterable

MAX_SHAPES = 256  # per thread; a shape is a few kilobytes of compiled SQL and column bookkeeping
_SENTINEL_INT = -918_273_645_000  # no id or count is this: it marks where a value went


@dataclass
class _Compiled:
    compiler: Any
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, int], ...]  # (parameter index, value index)
    kinds: tuple[str, ...]  # per value: "int", "str" or "datetime"
    instances: bool  # model instances (else tuples)
    empty: bool = False  # the shape matches no row whatever the values (e.g. a "none" scope)
    # worked out once too: the columns' converters (a third of the time otherwise) and how to build
    # the model instances from a row
    converters: dict[int, Any] | None = None
    build: tuple[Any, ...] = ()
    server_ok: bool | None = None  # PostgreSQL: whether the server prepared it (None: not tried yet)


_local = threading.local()
_UNPREPARABLE = object()


def _cache() -> OrderedDict[Hashable, Any]:
    cache = getattr(_local, "shapes", None)
    if cache is None:
        cache = _local.shapes = OrderedDict()
    return cache


def _kind(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None  # a flag or a missing value changes the SQL itself: it belongs in the key
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        return "str"
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return "datetime"
    return None


def _sentinel(kind: str, index: int) -> Any:
    if kind == "int":
        return _SENTINEL_INT - index
    if kind == "str":
        return f"\x1fprepared-value-{index}\x1f"
    return dt.datetime(1901, 2, 3, 4, 5, 6, 700_000 + index, tzinfo=dt.UTC)


def _adapt(connection: Any, kind: str, value: Any) -> Any:
    # what a DateTimeField lookup hands to the driver (SQLite: UTC text; PostgreSQL: the datetime)
    return connection.ops.adapt_datetimefield_value(value) if kind == "datetime" else value


def _compile(build: Callable[..., QuerySet], kinds: tuple[str, ...], using: str) -> _Compiled | object:
    connection = connections[using]
    sentinels = [_sentinel(kind, i) for i, kind in enumerate(kinds)]
    try:
        qs = build(*sentinels)
    except (TypeError, ValueError):  # a lookup that refuses the placeholder (a choice, a range)
        return _UNPREPARABLE
    if qs._iterable_class is ModelIterable:
        instances = True
    elif qs._iterable_class is ValuesListIterable:
        instances = False
    else:
        return _UNPREPARABLE
    if getattr(qs, "_known_related_objects", None) or getattr(qs, "_prefetch_related_lookups", None):
        return _UNPREPARABLE
    compiler = qs.query.get_compiler(using=using)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return _Compiled(compiler, "", (), (), kinds, instances, empty=True)
    marks = {_adapt(connection, kind, s): i for i, (kind, s) in enumerate(zip(kinds, sentinels, strict=True))}
    slots = []
    for position, param in enumerate(params):
        try:
            found = marks.get(param)
        except TypeError:  # an unhashable parameter (a list for an array lookup): not a slot
            found = None
        if found is not None:
            slots.append((position, found))
    if {index for _position, index in slots} != set(range(len(kinds))):
        return _UNPREPARABLE  # a value did not reach the SQL as one of its parameters
    columns = [column[0] for column in compiler.select[0 : compiler.col_count]]
    if compiler.has_composite_fields(columns):
        return _UNPREPARABLE
    build_rows: tuple[Any, ...] = ()
    if instances:
        # as django.db.models.query.ModelIterable builds instances from the compiler's columns
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        build_rows = (
            klass_info["model"],
            [column[0].target.attname for column in select[start:end]],
            start,
            end,
            django_query.get_related_populators(klass_info, select, using),  # type: ignore[attr-defined]
            tuple((compiler.annotation_col_map or {}).items()),
        )
    return _Compiled(
        compiler,
        sql,
        tuple(params),
        tuple(slots),
        kinds,
        instances,
        converters=compiler.get_converters(columns),
        build=build_rows,
    )


def prepared_rows(
    key: Hashable,
    build: Callable[..., QuerySet],
    values: Sequence[Any],
    *,
    using: str = "default",
    server_prepare: bool = True,
) -> list[Any]:
    """The rows of ``build(*values)``: model instances, or tuples for a ``values_list()`` queryset.

    ``values`` may be ints, texts and timezone-aware datetimes; ``key`` must name everything else the
    queryset's SQL depends on (see the module's note). ``server_prepare=False``: on PostgreSQL, plan the
    statement on every execution (its best plan depends on the values).
    """
    kinds = tuple(_kind(v) for v in values)
    if None in kinds:
        return list(build(*values))
    cache = _cache()
    full_key = (key, kinds, using)
    entry = cache.get(full_key)
    if entry is None:
        entry = _compile(build, kinds, using)  # type: ignore[arg-type]
        cache[full_key] = entry
        if len(cache) > MAX_SHAPES:
            cache.popitem(last=False)
    else:
        cache.move_to_end(full_key)
    if entry is _UNPREPARABLE:
        return list(build(*values))
    assert isinstance(entry, _Compiled)
    if entry.empty:
        return []
    return _run(entry, values, using, server_prepare)


@lru_cache(maxsize=1)
def _preparing_classes() -> tuple[type, type]:
    import psycopg
    from django.db.backends.utils import CursorDebugWrapper

    class Preparing(psycopg.Cursor):  # type: ignore[type-arg]
        """Server-side binding; every statement it runs is prepared (once per connection)."""

        def execute(
            self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
        ) -> Any:
            return super().execute(query, params, prepare=True, binary=binary)

    class Logged(CursorDebugWrapper):
        """Django's logging wrapper, logging the statement with its values (Django reads it back from a
        client-side cursor, which a prepared execution is not)."""

        def execute(self, sql: Any, params: Any = None) -> Any:
            with self.debug_sql(self.db.ops.compose_sql(sql, params), params):
                return self._execute_with_wrappers(sql, params, many=False, executor=self._execute)

    return Preparing, Logged


def _server_cursor(connection: Any) -> Any:
    """A preparing cursor wrapped as Django wraps its own (query logging and counting, wrappers)."""
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns psycopg's preparation off (None) so that poolers work; a threshold nothing
        # reaches lets the explicit prepare=True above through while nothing else gets prepared
        raw.prepare_threshold = 2**31
    preparing, logged = _preparing_classes()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        cursor = preparing(raw)
    return logged(cursor, connection) if connection.queries_logged else connection.make_cursor(cursor)


def _first_server_execution(connection: Any, entry: _Compiled, params: list[Any]) -> Any:
    """Run a shape prepared on the server for the first time: its rows, or None (and ``server_ok`` set
    to False) when the server cannot take it with bound parameters.

    Inside a transaction it runs in a savepoint, so that a failure does not spoil the transaction; the
    savepoint goes straight to the driver rather than through Django's ``atomic``, as it happens once per
    shape and process and only inside transactions (tests, services), and logging it would make the
    first of a test's requests count two statements more than the next. In autocommit mode (requests)
    there is no transaction to spoil."""
    raw = connection.connection if connection.in_atomic_block else None
    if raw is not None:
        raw.execute("SAVEPOINT clientela_prepared")
    try:
        with _server_cursor(connection) as cursor:
            cursor.execute(entry.sql, params)
            rows = cursor.fetchall()
    except DatabaseError:
        if raw is not None:
            raw.execute("ROLLBACK TO SAVEPOINT clientela_prepared")
            raw.execute("RELEASE SAVEPOINT clientela_prepared")
        entry.server_ok = False
        return None
    if raw is not None:
        raw.execute("RELEASE SAVEPOINT clientela_prepared")
    entry.server_ok = True
    return rows


def _fetch(connection: Any, entry: _Compiled, params: list[Any], server_prepare: bool) -> Any:
    if (
        server_prepare
        and entry.server_ok is not False
        and connection.vendor == "postgresql"
        and getattr(settings, "CLIENTELA_PG_PREPARED_READS", True)
    ):
        if entry.server_ok:
            with _server_cursor(connection) as cursor:
                cursor.execute(entry.sql, params)
                return cursor.fetchall()
        rows = _first_server_execution(connection, entry, params)
        if rows is not None:
            return rows
    with connection.cursor() as cursor:
        cursor.execute(entry.sql, params)
        return cursor.fetchall()


def _run(entry: _Compiled, values: Sequence[Any], using: str, server_prepare: bool = True) -> list[Any]:
    connection = connections[using]
    params = list(entry.params)
    for position, index in entry.slots:
        params[position] = _adapt(connection, entry.kinds[index], values[index])
    compiler = entry.compiler
    rows: Any = _fetch(connection, entry, params, server_prepare)
    if compiler.col_count is not None and rows and len(rows[0]) != compiler.col_count:
        rows = [row[: compiler.col_count] for row in rows]
    if entry.converters:
        rows = compiler.apply_converters(rows, entry.converters)
    if not entry.instances:
        return [tuple(row) for row in rows]
    model, names, start, end, populators, annotations = entry.build
    out = []
    for row in rows:
        obj = model.from_db(using, names, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        for name, position in annotations:
            setattr(obj, name, row[position])
        out.append(obj)
    return out


def forget_prepared() -> None:
    """Drop this thread's compiled shapes (tests that change the schema or the settings)."""
    _cache().clear()
