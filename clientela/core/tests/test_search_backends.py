"""The search backends answer every kind of name pattern as the plain substring test over the indexed
text would, whichever way a backend looks them up (trigrams, or on PostgreSQL full-text word entries for
word starts and whole words)."""

from __future__ import annotations

import pytest
from django.db import connection

from clientela.core.search import Doc, SearchIndex, words_text
from clientela.core.search.backends import _word_query, backend_for

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
