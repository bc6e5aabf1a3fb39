"""Blocking keys of live customers in the database, for the real-time duplicate check.

Batch resolution blocks in memory; a form or an API call cannot load a million customers to check one
new record. So every live customer's blocking keys (the batch rules, ``DEFAULT_RULES``) are stored as
64-bit hashes in ``MatchKey``: the check computes the new record's keys and reads the customers sharing
one with a single indexed ``IN`` query.

The table is derived data. It is kept current by the parties' change listener (``on_parties_changed``:
a few customers at once are refreshed in the caller's transaction, bulk writes in a background task after
commit), rebuilt whole after a search index rebuild (``clientela search_rebuild``, demo data) and by a
resolution run that finds customers without keys.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence

from django.db import connection, transaction

from clientela.core.bulk import TableWriter
from clientela.identity.matching.blocking import DEFAULT_RULES
from clientela.identity.matching.normalize import NormalizedParty, normalize_record
from clientela.identity.matching.records import PartyRecord
from clientela.identity.models import MatchKey

logger = logging.getLogger("clientela.identity")

# Above this many customers at once, keys are refreshed by a background task after commit: an import
# chunk must not pay for them inside its transaction.
SYNC_LIMIT = 200
_CHUNK = 5000


def key_hash(rule: str, key: str) -> int:
    """A signed 64-bit hash of one rule's key (stable across processes, unlike ``hash``)."""
    digest = hashlib.blake2b(f"{rule}\x1f{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def party_keys(party: NormalizedParty) -> dict[int, str]:
    """Hashed blocking keys of one normalised record, each with the rule that produced it."""
    out: dict[int, str] = {}
    for rule_name, rule in DEFAULT_RULES.items():
        for key in rule(party):
            if key:
                out[key_hash(rule_name, key)] = rule_name
    return out


def _rows(records: Iterable[PartyRecord]) -> list[tuple[int, int]]:
    rows: list[tuple[int, int]] = []
    for record in records:
        pk = int(record.id)
        rows.extend((key, pk) for key in party_keys(normalize_record(record)))
    return rows


def match_keys_write(records: Iterable[PartyRecord]) -> int:
    """Insert the keys of ``records`` (parties that have none yet); returns the rows written."""
    writer = TableWriter(MatchKey, ["key", "party"])
    rows = _rows(records)
    writer.insert(rows)
    return len(rows)


def match_keys_refresh(ids: Sequence[int]) -> None:
    """Recompute the keys of these parties (a deleted or merged-away party loses its keys)."""
    from clientela.identity.resolution import party_records

    ids = sorted(set(ids))
    with transaction.atomic():
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            MatchKey.objects.filter(party_id__in=chunk).delete()
            match_keys_write(party_records(chunk))


def match_keys_rebuild(records: Iterable[PartyRecord] | None = None) -> int:
    """Replace the whole table by the keys of ``records`` (every live party when None)."""
    from clientela.identity.resolution import party_records

    written = 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            # the table name is the model's own, not input
            cursor.execute(f"DELETE FROM {MatchKey._meta.db_table}")  # noqa: S608
        batch: list[PartyRecord] = []
        for record in party_records() if records is None else records:
            batch.append(record)
            if len(batch) >= _CHUNK:
                written += match_keys_write(batch)
                batch = []
        written += match_keys_write(batch)
    return written


def match_keys_complete(live_parties: int) -> bool:
    """Whether as many customers have keys as there are live ones (one count over the party index, not a
    rebuild). Keys left on a deleted customer would be harmless: checks only read live customers."""
    return MatchKey.objects.values("party_id").distinct().count() == live_parties


def on_parties_changed(ids: Sequence[int] | None) -> None:
    """Listener registered with ``parties.changed``: keep the keys in step with customer changes."""
    if ids is not None and len(ids) <= SYNC_LIMIT:
        match_keys_refresh(ids)
        return
    from clientela.identity.tasks import match_keys_task

    payload = None if ids is None else [int(i) for i in ids]
    transaction.on_commit(lambda: match_keys_task.enqueue(payload))
