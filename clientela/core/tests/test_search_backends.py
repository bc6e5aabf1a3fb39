"""The search backends answer every kind of name pattern as the plain substring test over the indexed
text would, whichever way a backend looks them up (trigrams, or on PostgreSQL full-text word entries for
word starts and whole words)."""

from __future__ import annotations

import pytest
from django.db import connection

from clientela.core.search import Doc, SearchIndex, values_text, words_text
from clientela.core.search.backends import _word_query, backend_for, value_lookup

pytestmark = pytest.mark.django_db

NAMES = [
    "José María García Ñúñez",
    "Ana García López",
    "Luis Garciarena",
    "Mar Garcés",
    "Talleres 2000 SL",
    "Talleres 007",
    "B2B Soluciones",
    "Marta Gar",
    "María del Mar Martínez",
    "O Marisma",
]


def test_word_query_only_for_word_starts_and_whole_words():
    assert _word_query(["^mar", "^garcia$"]) == "mar:* & garcia"
    assert _word_query(["^007$"]) == "007"
    assert _word_query(["mar"]) is None  # a substring: trigrams
    assert _word_query(["^mar", "gar"]) is None
    assert _word_query(["^jm.garcia@"]) is None
    assert _word_query([]) is None


@pytest.fixture
def index():
    idx = SearchIndex("test_name_words")
    idx.create()
    idx.rebuild(Doc(id=n + 1, name=words_text(name)) for n, name in enumerate(NAMES))
    yield idx
    idx.drop()


@pytest.mark.parametrize(
    "patterns",
    [
        ["^mar"], ["^mar$"], ["^mar", "^gar"], ["^maria$", "^garcia$"], ["^gar"], ["^garcia"], ["^2000$"],
        ["^200"], ["^007"], ["^b2b$"], ["^b2"], ["^talleres$", "^00"], ["^nunez$"], ["^zzz"], ["mar"],
        ["arcia"], ["^mar", "arti"],
    ],
)  # fmt: skip
def test_find_equals_the_substring_test(index, patterns):
    backend = backend_for(index.table)
    with connection.cursor() as cur:
        found = sorted(row[0] for row in backend.find(cur, "name", patterns, 100))
    texts = [words_text(name) for name in NAMES]
    expected = [n + 1 for n, text in enumerate(texts) if all(p in text for p in patterns)]
    assert found == expected


CONTACTS = [
    ("34612345678", "612345678", "jm.garcia@ejemplo.es"),
    ("346123456789", "ana@ejemplo.es"),
    ("12067472286", "2067472286"),
    ("garcia@gmail.com", "jm.garcia@gmail.com"),
    (),
]
IDS = [("12345678z", "erp:c0042"), ("b12345674",), (), ("erp:c00421",), ("x" * 300,)]


def test_value_lookup_only_for_one_whole_value_or_value_start():
    assert value_lookup("contact", ["^612345678$"]) == ("=", "612345678")
    assert value_lookup("ids", ["^erp:c00"]) == (">=", "erp:c00")
    assert value_lookup("contact", ["612345678"]) is None  # a substring: trigrams
    assert value_lookup("contact", ["^a", "^b"]) is None
    assert value_lookup("name", ["^maria$"]) is None
    assert value_lookup("contact", ["^$"]) is None


@pytest.fixture
def value_index():
    idx = SearchIndex("test_values")
    idx.create()
    idx.rebuild(
        Doc(id=n + 1, name=words_text("x"), contact=values_text(*contact), ids=values_text(*ids))
        for n, (contact, ids) in enumerate(zip(CONTACTS, IDS, strict=True))
    )
    yield idx
    idx.drop()


@pytest.mark.parametrize(
    ("column", "pattern"),
    [
        ("contact", "^612345678$"), ("contact", "^34612345678$"), ("contact", "^3461234567"),
        ("contact", "^jm.garcia@"), ("contact", "^jm.garcia@ejemplo.es$"), ("contact", "^garcia"),
        ("contact", "garcia@"), ("contact", "^ana@ejemplo.es$"), ("contact", "^999"), ("ids", "^erp:c0042$"),
        ("ids", "^erp:c0042"), ("ids", "^12345678z$"), ("ids", "^xxx"), ("ids", "345678"),
    ],
)  # fmt: skip
def test_values_find_equals_the_substring_test(value_index, column, pattern):
    backend = backend_for(value_index.table)
    with connection.cursor() as cur:
        found = sorted({row[0] for row in backend.find(cur, column, [pattern], 100)})
    texts = [values_text(*c) for c in CONTACTS] if column == "contact" else [values_text(*i) for i in IDS]
    assert found == [n + 1 for n, text in enumerate(texts) if pattern in text]


def test_values_follow_upserts_and_deletes(value_index):
    backend = backend_for(value_index.table)
    value_index.upsert([Doc(id=1, name=words_text("x"), contact=values_text("699000111"))])
    value_index.delete([2])
    with connection.cursor() as cur:
        assert backend.find(cur, "contact", ["^612345678$"], 10) == []
        assert [row[0] for row in backend.find(cur, "contact", ["^699000111$"], 10)] == [1]
        assert backend.find(cur, "contact", ["^ana@"], 10) == []


def test_an_upsert_naming_an_id_twice_keeps_its_last_document(value_index):
    backend = backend_for(value_index.table)
    value_index.upsert([
        Doc(id=1, name=words_text("primero"), contact=values_text("611000111")),
        Doc(id=9, name=words_text("nuevo"), contact=values_text("nuevo@ejemplo.es")),
        Doc(id=1, name=words_text("segundo"), contact=values_text("622000222")),
    ])  # fmt: skip
    with connection.cursor() as cur:
        assert [row[:2] for row in backend.find(cur, "name", ["^segundo$"], 10)] == [(1, "^segundo$")]
        assert backend.find(cur, "name", ["^primero$"], 10) == []
        assert [row[0] for row in backend.find(cur, "contact", ["^nuevo@"], 10)] == [9]
        assert [row[0] for row in backend.find(cur, "contact", ["^622000222$"], 10)] == [1]
