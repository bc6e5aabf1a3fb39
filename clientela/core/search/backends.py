"""Database-specific halves of the search index: SQLite FTS5 (trigram) and PostgreSQL (pg_trgm, plus a
full-text index of the name words for word starts and whole words).

Besides the three searchable columns each row carries ``card``, a short unindexed text the caller
stores with the document (for parties: what a search result shows), so a search needs no second read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection

COLUMNS = ("name", "contact", "ids")
# Whole values (emails, phone digits, ids) are also kept one per row in ``<table>_values`` under a B-tree:
# a whole value or the start of one ("^34612345678$", "^jm.garcia@") is an index lookup there, where the
# trigram index intersects the lists of trigrams that every phone number or address shares ("612", "@gm").
VALUE_COLUMNS = ("contact", "ids")
_TOP = "\U0010ffff"  # sorts after every character: value < prefix + _TOP for every value starting with prefix


def value_rows(rows: Sequence[tuple[int, str, str, str, str]]) -> list[tuple[str, str, int]]:
    """(column, whole value, id) of documents ``(id, name, contact, ids, card)``."""
    out = []
    for row in rows:
        for column, text in (("contact", row[2]), ("ids", row[3])):
            for token in dict.fromkeys(text.split()):
                if len(token) > 2 and token[0] == "^" and token[-1] == "$":
                    out.append((column, token[1:-1], row[0]))
    return out


def _anchored(pattern: str) -> tuple[str, bool] | None:
    """(text, whole) of a pattern that is a whole word or value ``^text$`` or the start of one ``^text``."""
    whole = pattern.endswith("$")
    text = pattern[1 : -1 if whole else None]
    if not pattern.startswith("^") or not text or any(c in text for c in "^$ "):
        return None
    return text, whole


def value_lookup(column: str, patterns: Sequence[str]) -> tuple[str, ...] | None:
    """("=", value) for one whole value ``^v$``, (">=", prefix) for the start of one ``^v``, ("@",
    local, domain) for an email address whose local part starts ``^local`` and whose domain starts
    ``@domain`` ("marialuz@hot" for marialuz.acosta@hotmail.com), else None."""
    if column not in VALUE_COLUMNS:
        return None
    if len(patterns) == 2 and patterns[1].startswith("@"):
        start = _anchored(patterns[0])
        domain = patterns[1][1:]
        if start is None or start[1] or "@" in start[0] or not domain or any(c in domain for c in "^$ @"):
            return None
        return ("@", start[0], domain)
    found = _anchored(patterns[0]) if len(patterns) == 1 else None
    if found is None:
        return None
    return ("=" if found[1] else ">=", found[0])


def _like_literal(text: str) -> str:
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def find_values(
    cursor: Any, table: str, key: str, column: str, lookup: tuple[str, ...], limit: int
) -> list[tuple[int, str, str]]:
    """(id, name, card) of the documents holding the value (or a value starting with the prefix, or an
    address of the local start and domain start) of ``lookup`` in ``column``; ``key`` is the document
    table's id column (SQLite's FTS5 table: rowid). Each is a range of the values' primary key."""
    op, value = lookup[0], lookup[1]
    if op == "=":
        where, params = "v.value = %s", [value]
    elif op == "@":
        # the local part's range, each value in it checked for its domain's start
        pattern = f"{_like_literal(value)}%@{_like_literal(lookup[2])}%"
        where = "v.value >= %s AND v.value < %s AND v.value LIKE %s ESCAPE '!'"
        params = [value, value + _TOP, pattern]
    else:
        where, params = "v.value >= %s AND v.value < %s", [value, value + _TOP]
    cursor.execute(
        f"SELECT s.{key}, s.name, s.card FROM {table}_values v JOIN {table} s ON s.{key} = v.id "
        f"WHERE v.col = %s AND {where} LIMIT %s",
        [column, *params, limit],
    )
    return list(cursor.fetchall())


class SqliteBackend:
    """FTS5 virtual table with the trigram tokenizer; rowid is the record id."""

    KEY = "rowid"  # the documents' id column

    def __init__(self, table: str) -> None:
        self.table = table

    def create_sql(self) -> list[str]:
        return [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {self.table} "
            "USING fts5(name, contact, ids, card UNINDEXED, tokenize='trigram')",
            f"CREATE TABLE IF NOT EXISTS {self.table}_vocab (word TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID",
            *self.values_sql(),
        ]

    def values_sql(self) -> list[str]:
        t = self.table
        return [
            f"CREATE TABLE IF NOT EXISTS {t}_values (col TEXT NOT NULL, value TEXT NOT NULL, id INTEGER NOT NULL, "
            "PRIMARY KEY (col, value, id)) WITHOUT ROWID",
            f"CREATE INDEX IF NOT EXISTS {t}_values_id ON {t}_values (id)",
        ]

    def drop_sql(self) -> list[str]:
        return [f"DROP TABLE IF EXISTS {self.table}{suffix}" for suffix in ("", "_vocab", "_values")]

    def delete(self, cursor: Any, ids: Sequence[int]) -> None:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("%s" for _ in chunk)
            cursor.execute(f"DELETE FROM {self.table} WHERE rowid IN ({marks})", chunk)
            cursor.execute(f"DELETE FROM {self.table}_values WHERE id IN ({marks})", chunk)

    def insert(self, cursor: Any, rows: Sequence[tuple[int, str, str, str, str]]) -> None:
        cursor.executemany(
            f"INSERT INTO {self.table}(rowid, name, contact, ids, card) VALUES (%s, %s, %s, %s, %s)", rows
        )
        self.insert_values(cursor, value_rows(rows))

    def insert_values(self, cursor: Any, rows: Sequence[tuple[str, str, int]]) -> None:
        cursor.executemany(
            f"INSERT OR IGNORE INTO {self.table}_values(col, value, id) VALUES (%s, %s, %s)", rows
        )

    def truncate(self, cursor: Any) -> None:
        cursor.execute(f"DELETE FROM {self.table}")
        cursor.execute(f"DELETE FROM {self.table}_vocab")
        cursor.execute(f"DELETE FROM {self.table}_values")

    def add_words(self, cursor: Any, counts: Iterable[tuple[str, int]]) -> None:
        cursor.executemany(
            f"INSERT INTO {self.table}_vocab(word, n) VALUES (%s, %s) ON CONFLICT(word) DO UPDATE SET n = n + excluded.n",
            list(counts),
        )

    def find(
        self, cursor: Any, column: str, patterns: Sequence[str], limit: int
    ) -> list[tuple[int, str, str]]:
        """(id, name, card) of rows whose ``column`` contains every pattern (each >= 3 characters)."""
        lookup = value_lookup(column, patterns)
        if lookup is not None:
            return find_values(cursor, self.table, self.KEY, column, lookup, limit)
        expr = " AND ".join(f'{column} : "{p.replace(chr(34), chr(34) * 2)}"' for p in patterns)
        cursor.execute(
            f"SELECT rowid, name, card FROM {self.table} WHERE {self.table} MATCH %s LIMIT %s",
            [expr, limit],
        )
        return list(cursor.fetchall())

    def optimize(self, cursor: Any) -> None:
        cursor.execute(f"INSERT INTO {self.table}({self.table}) VALUES ('optimize')")


# Name words as a full-text vector: a word start ("^mar") or a whole word ("^maria$") is an entry lookup
# in this index (the words beginning "mar"), where the trigram index intersects posting lists of trigrams
# that every third name holds ("  m", " ma", "mar").
WORDS_INDEX_SQL = "CREATE INDEX IF NOT EXISTS {t}_name_words ON {t} USING gin (to_tsvector('simple', name))"
_WORD = re.compile(r"[a-z0-9]+")


def _word_query(patterns: Sequence[str]) -> str | None:
    """A tsquery for patterns that are all word starts or whole words (``^w`` / ``^w$``), else None."""
    terms = []
    for pattern in patterns:
        found = _anchored(pattern)
        if found is None or not _WORD.fullmatch(found[0]):
            return None
        terms.append(found[0] if found[1] else f"{found[0]}:*")
    return " & ".join(terms) if terms else None


class PostgresBackend:
    """A plain table with GIN trigram indexes (pg_trgm) answering LIKE '%...%', and a GIN full-text index
    of the name words answering word starts and whole words."""

    KEY = "id"

    def __init__(self, table: str) -> None:
        self.table = table

    def create_sql(self) -> list[str]:
        t = self.table
        return [
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            f"CREATE TABLE IF NOT EXISTS {t} (id bigint PRIMARY KEY, name text NOT NULL DEFAULT '', "
            "contact text NOT NULL DEFAULT '', ids text NOT NULL DEFAULT '', card text NOT NULL DEFAULT '')",
            *(
                f"CREATE INDEX IF NOT EXISTS {t}_{c}_trgm ON {t} USING gin ({c} gin_trgm_ops)"
                for c in COLUMNS
            ),
            WORDS_INDEX_SQL.format(t=t),
            f"CREATE TABLE IF NOT EXISTS {t}_vocab (word text PRIMARY KEY, n integer NOT NULL)",
            *self.values_sql(),
        ]

    def values_sql(self) -> list[str]:
        t = self.table
        return [
            # byte order ("C"), so that a range gives exactly the values starting with a prefix
            f'CREATE TABLE IF NOT EXISTS {t}_values (col text NOT NULL, value text COLLATE "C" NOT NULL, '
            "id bigint NOT NULL, PRIMARY KEY (col, value, id))",
            f"CREATE INDEX IF NOT EXISTS {t}_values_id ON {t}_values (id)",
        ]

    def drop_sql(self) -> list[str]:
        return [f"DROP TABLE IF EXISTS {self.table}{suffix}" for suffix in ("", "_vocab", "_values")]

    def delete(self, cursor: Any, ids: Sequence[int]) -> None:
        cursor.execute(f"DELETE FROM {self.table} WHERE id = ANY(%s)", [list(ids)])
        cursor.execute(f"DELETE FROM {self.table}_values WHERE id = ANY(%s)", [list(ids)])

    # One statement per batch, its rows as arrays (unnest): executemany sent one statement per row, and
    # the import of 30,000 customers spent 97 µs a customer here, against 29 µs this way.
    def insert(self, cursor: Any, rows: Sequence[tuple[int, str, str, str, str]]) -> None:
        if rows:
            cursor.execute(
                f"INSERT INTO {self.table}(id, name, contact, ids, card) "
                "SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[]) "
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name, contact = excluded.contact, "
                "ids = excluded.ids, card = excluded.card",
                [list(column) for column in zip(*rows, strict=True)],
            )
        self.insert_values(cursor, value_rows(rows))

    def insert_values(self, cursor: Any, rows: Sequence[tuple[str, str, int]]) -> None:
        if rows:
            cursor.execute(
                f"INSERT INTO {self.table}_values(col, value, id) "
                "SELECT * FROM unnest(%s::text[], %s::text[], %s::bigint[]) ON CONFLICT DO NOTHING",
                [list(column) for column in zip(*rows, strict=True)],
            )

    def truncate(self, cursor: Any) -> None:
        cursor.execute(f"TRUNCATE {self.table}, {self.table}_vocab, {self.table}_values")

    def add_words(self, cursor: Any, counts: Iterable[tuple[str, int]]) -> None:
        cursor.executemany(
            f"INSERT INTO {self.table}_vocab(word, n) VALUES (%s, %s) "
            f"ON CONFLICT (word) DO UPDATE SET n = {self.table}_vocab.n + excluded.n",
            list(counts),
        )

    def find(
        self, cursor: Any, column: str, patterns: Sequence[str], limit: int
    ) -> list[tuple[int, str, str]]:
        """(id, name, card) of rows whose ``column`` contains every pattern."""
        lookup = value_lookup(column, patterns)
        if lookup is not None:
            return find_values(cursor, self.table, self.KEY, column, lookup, limit)
        words = _word_query(patterns) if column == "name" else None
        if words is not None:
            cursor.execute(
                f"SELECT id, name, card FROM {self.table} "
                f"WHERE to_tsvector('simple', name) @@ to_tsquery('simple', %s) LIMIT %s",
                [words, limit],
            )
            return list(cursor.fetchall())
        where = " AND ".join(f"{column} LIKE %s" for _ in patterns)
        params = [
            "%" + p.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for p in patterns
        ]
        cursor.execute(f"SELECT id, name, card FROM {self.table} WHERE {where} LIMIT %s", [*params, limit])
        return list(cursor.fetchall())

    def optimize(self, cursor: Any) -> None:
        cursor.execute(f"ANALYZE {self.table}")


def backend_for(table: str, vendor: str | None = None) -> SqliteBackend | PostgresBackend:
    vendor = vendor or connection.vendor
    if vendor == "postgresql":
        return PostgresBackend(table)
    if vendor == "sqlite":
        return SqliteBackend(table)
    raise NotImplementedError(f"no search backend for {vendor}")
