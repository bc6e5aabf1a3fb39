"""One search interface, two backends: SQLite FTS5 (trigram tokenizer) and PostgreSQL (pg_trgm).

A ``SearchIndex`` names a table of documents (id + a few text columns). Documents are folded text where
every word is wrapped as ``^word$`` so one trigram index answers exact-word (``^garcia$``), word-prefix
(``^garc``) and substring (``arci``) questions. Typos are handled the same way on both backends: query
words are corrected against the index's vocabulary of words (rapidfuzz, edit distance <= 2) and the
corrected words are searched exactly. Results are ranked exact > prefix > substring > fuzzy.

Writes: ``upsert`` for a few documents inside a service's transaction; bulk loaders call ``rebuild`` or
``refresh`` once after a batch so loading never pays a per-row index cost.
"""

from clientela.core.search.index import Doc, Hit, SearchIndex, parse_query, values_text, words_text
from clientela.core.search.query import ident_key

__all__ = ["Doc", "Hit", "SearchIndex", "ident_key", "parse_query", "values_text", "words_text"]
