"""The search interface: documents in, ranked ids out, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from clientela.core.search.backends import backend_for
from clientela.core.search.query import Query, parse_query
from clientela.core.text import fold

__all__ = ["Doc", "Hit", "SearchIndex", "parse_query", "values_text", "words_text"]

TIERS = {"exact": 4.0, "prefix": 3.0, "substring": 2.0, "fuzzy": 1.0}
VOCAB_TTL = 300.0


def words_text(*texts: str) -> str:
    """Folded words each wrapped as ``^word$`` (so word starts and ends are searchable)."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in fold(text).replace("-", " ").split():
            word = "".join(ch for ch in word if ch.isalnum())
            if word:
                seen.setdefault(f"^{word}$", None)
    return " ".join(seen)


def values_text(*values: str) -> str:
    """Whole values (emails, phone digits, ids) wrapped as ``^value$`` without splitting."""
    seen: dict[str, None] = {}
    for value in values:
        v = fold(value).replace(" ", "")
        if v:
            seen.setdefault(f"^{v}$", None)
    return " ".join(seen)


@dataclass(frozen=True)
class Doc:
    """A record's searchable text; build each column with ``words_text`` / ``values_text``."""

    id: int
    name: str = ""
    contact: str = ""
    ids: str = ""
    card: str = ""  # not searched: returned with each hit (what a result list shows)


@dataclass(frozen=True)
class Hit:
    id: int
    score: float
    tier: str
    column: str
    card: str = ""


class _Vocab:
    """Per-process cache of the index's words, grouped by length for fast typo correction."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.loaded: dict[str, tuple[float, dict[int, list[str]], dict[str, int]]] = {}

    def get(
        self, key: str, load: Callable[[], list[tuple[str, int]]]
    ) -> tuple[dict[int, list[str]], dict[str, int]]:
        with self.lock:
            entry = self.loaded.get(key)
            if entry and time.monotonic() - entry[0] < VOCAB_TTL:
                return entry[1], entry[2]
        by_len: dict[int, list[str]] = {}
        freq: dict[str, int] = {}
        for word, n in load():
            by_len.setdefault(len(word), []).append(word)
            freq[word] = n
        with self.lock:
            self.loaded[key] = (time.monotonic(), by_len, freq)
        return by_len, freq

    def forget(self, key: str) -> None:
        with self.lock:
            self.loaded.pop(key, None)


_VOCAB = _Vocab()


class SearchIndex:
    """A named search index (one table per backend plus its vocabulary of name words)."""

    def __init__(self, table: str) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", table):
            raise ValueError(f"invalid search table name: {table!r}")
        self.table = table

    # --- schema -----------------------------------------------------------------------------------------
    def create(self, schema_connection: Any = None) -> None:
        conn = schema_connection or connection
        with conn.cursor() as cur:
            for sql in backend_for(self.table, conn.vendor).create_sql():
                cur.execute(sql)

    def drop(self, schema_connection: Any = None) -> None:
        conn = schema_connection or connection
        with conn.cursor() as cur:
            for sql in backend_for(self.table, conn.vendor).drop_sql():
                cur.execute(sql)

    # --- writes -----------------------------------------------------------------------------------------
    def _vocab_key(self) -> str:
        return f"{connection.alias}:{connection.settings_dict.get('NAME')}:{self.table}"

    def upsert(self, docs: Iterable[Doc]) -> None:
        """Replace the documents of these ids (for a few records, inside the writing transaction); of
        two documents of one id, the later wins."""
        docs = list({d.id: d for d in docs}.values())  # the backends insert a batch in one statement
        if not docs:
            return
        backend = backend_for(self.table)
        words: Counter[str] = Counter()
        with connection.cursor() as cur:
            backend.delete(cur, [d.id for d in docs])
            backend.insert(cur, [(d.id, d.name, d.contact, d.ids, d.card) for d in docs])
            for d in docs:
                words.update(w.strip("^$") for w in d.name.split())
            backend.add_words(cur, words.items())
        _VOCAB.forget(self._vocab_key())

    def delete(self, ids: Iterable[int]) -> None:
        ids = list(ids)
        if ids:
            with connection.cursor() as cur:
                backend_for(self.table).delete(cur, ids)

    def rebuild(
        self, docs: Iterable[Doc], *, batch: int = 5000, progress: Callable[[int], None] | None = None
    ) -> int:
        """Empty the index and load ``docs`` in batches (after a bulk load); returns the count."""
        backend = backend_for(self.table)
        words: Counter[str] = Counter()
        total = 0
        rows: list[tuple[int, str, str, str, str]] = []
        with connection.cursor() as cur:
            backend.truncate(cur)
            for d in docs:
                rows.append((d.id, d.name, d.contact, d.ids, d.card))
                words.update(w.strip("^$") for w in d.name.split())
                if len(rows) >= batch:
                    backend.insert(cur, rows)
                    total += len(rows)
                    rows = []
                    if progress:
                        progress(total)
            if rows:
                backend.insert(cur, rows)
                total += len(rows)
            backend.add_words(cur, words.items())
            backend.optimize(cur)
        _VOCAB.forget(self._vocab_key())
        return total

    # --- reads ------------------------------------------------------------------------------------------
    def _vocab(self) -> tuple[dict[int, list[str]], dict[str, int]]:
        def load() -> list[tuple[str, int]]:
            with connection.cursor() as cur:
                cur.execute(f"SELECT word, n FROM {self.table}_vocab")
                return list(cur.fetchall())

        return _VOCAB.get(self._vocab_key(), load)

    def corrections(self, word: str, *, per_word: int = 3) -> list[str]:
        """Index words within 1 edit (2 for words of 7+ letters; a swap of neighbours is one edit), most frequent first."""
        by_len, freq = self._vocab()
        if word in freq:
            return [word]
        max_dist = 1 if len(word) < 7 else 2
        pool: list[str] = []
        for n in range(len(word) - max_dist, len(word) + max_dist + 1):
            pool.extend(by_len.get(n, ()))
        found = process.extract(word, pool, scorer=OSA.distance, score_cutoff=max_dist, limit=20)
        found.sort(key=lambda m: (m[1], -freq.get(m[0], 0), m[0]))
        return [m[0] for m in found[:per_word]]

    def search(
        self,
        query: Query | str,
        *,
        limit: int = 20,
        candidates: int = 200,
        visible: Callable[[list[int]], set[int]] | None = None,
        region: str = "ES",
    ) -> list[Hit]:
        """Ranked hits: exact > word prefix > substring > typo-corrected; ``visible`` filters permissions."""
        q = parse_query(query, region) if isinstance(query, str) else query
        if q.empty:
            return []
        backend = backend_for(self.table)
        best: dict[int, Hit] = {}
        shown: set[int] = set()
        names: dict[int, str] = {}
        cards: dict[int, str] = {}

        def stage(
            column: str, patterns: list[str], tier: str, classify: Callable[[str], str] | None = None
        ) -> int:
            """Run one query; returns how many rows it read (``candidates`` means it was cut there)."""
            patterns = [p for p in patterns if len(p) >= 3]
            if not patterns:
                return 0
            with connection.cursor() as cur:
                rows = backend.find(cur, column, patterns, candidates)
            new = []
            for row_id, name, card in rows:
                names.setdefault(row_id, name)
                cards.setdefault(row_id, card)
                row_tier = classify(name) if classify else tier
                if row_id not in best or TIERS[row_tier] > TIERS[best[row_id].tier]:
                    best[row_id] = Hit(row_id, TIERS[row_tier], row_tier, column)
                    new.append(row_id)
            if new:
                shown.update(visible(new) if visible else new)
            return len(rows)

        def name_stages(typed: list[str], exact_tier: str, other_tier: str) -> None:
            """Every word as a word start in one query, each row's tier read from its words (all whole words:
            exact); the whole-words query runs too only when the first was cut at ``candidates`` rows, as
            exact matches could lie beyond the cut. One or two queries instead of three."""
            whole = [f"^{w}$" for w in typed]

            def classify(name: str) -> str:
                return exact_tier if all(w in name for w in whole) else other_tier

            if stage("name", [f"^{w}" for w in typed], other_tier, classify) >= candidates:
                stage("name", whole, exact_tier)

        words = q.words
        # (column, patterns, tier, whether owners found settle the column: an exact address, phone or id
        # names its customer, and values that merely contain its characters are noise)
        plan: list[tuple[str, list[str], str, bool]] = []
        if q.email:
            plan += [
                ("contact", [f"^{q.email}$"], "exact", True),
                ("contact", [f"^{q.email}"], "prefix", False),
            ]
            local, at, domain = q.email.partition("@")
            if at and len(local) >= 2 and len(domain) >= 2 and "@" not in domain:
                # the start of the address and the start of its domain ("marialuz@hot"): one range of
                # the values, and the owners it finds settle the search like an exact address
                plan += [("contact", [f"^{local}", f"@{domain}"], "prefix", True)]
            plan += [("contact", [q.email], "substring", False)]
        for digits in q.phone_digits:
            plan += [("contact", [f"^{digits}$"], "exact", True)]
        for digits in q.phone_digits[:1]:
            plan += [("contact", [f"^{digits}"], "prefix", False), ("contact", [digits], "substring", False)]
        if q.ident:
            plan += [("ids", [f"^{q.ident}$"], "exact", True), ("ids", [f"^{q.ident}"], "prefix", False)]
        settled: set[str] = set()
        for column, patterns, tier, settles in plan:
            if column in settled:
                continue
            found_before = len(best)
            stage(column, patterns, tier)
            if len(shown) >= limit:
                break
            if settles and len(best) > found_before:
                settled.add(column)  # the later stages of the column are costly substring scans
        if words and len(shown) < limit:
            name_stages(words, "exact", "prefix")
            if len(shown) < limit:
                stage("name", list(words), "substring")
        if (
            len(words) == 1
            and len(words[0]) >= 4
            and not q.email
            and not q.phone_digits
            and len(shown) < limit
        ):
            # the start of an email address typed without its "@" or a dot ("pepelu" for pepelu99@...):
            # one lookup in the values table, after the names so that it never crowds them out
            stage("contact", [f"^{words[0]}"], "prefix")
        if len(shown) < limit and words and not q.phone_digits:
            fixed = [self.corrections(w, per_word=1) if len(w) >= 4 else [w] for w in words]
            if all(fixed) and any(f[0] != w for f, w in zip(fixed, words, strict=True)):
                name_stages([f[0] for f in fixed], "fuzzy", "fuzzy")
        wanted = " ".join(words)
        ranked = []
        for row_id in shown:
            hit = best[row_id]
            plain = names.get(row_id, "").replace("^", "").replace("$", "")
            closeness = fuzz.ratio(wanted, plain) / 1000 if wanted else 0.0
            ranked.append(Hit(row_id, hit.score + closeness, hit.tier, hit.column, cards.get(row_id, "")))
        ranked.sort(key=lambda h: (-h.score, h.id))
        return ranked[:limit]


def rebuild_all(indexes: Mapping[str, tuple[SearchIndex, Callable[[], Iterable[Doc]]]]) -> dict[str, int]:
    """Rebuild several indexes from their document sources; returns counts by name."""
    return {name: index.rebuild(source()) for name, (index, source) in indexes.items()}
