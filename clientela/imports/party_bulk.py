"""Set-based writing of a chunk of party rows: a handful of queries per chunk instead of ten per row.

Each chunk asks the database once for the source records, links, tax ids, emails and phones its rows
name. Rows that are new customers (the bulk of a first import) are inserted together with their
contact points, links, source records, provenance, change log rows and undo effects in one
``bulk_create`` per table. Rows that touch existing customers (updates, matches) take the row-by-row
path of ``party_rows.write_party``, which knows how to merge without overwriting. If the bulk insert
fails (a concurrent writer took an id meanwhile), the chunk is redone row by row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.contrib.contenttypes.models import ContentType

from clientela.core.actor import Actor
from clientela.core.bulk import TableWriter, insert_instances
from clientela.core.changes import to_json
from clientela.core.models import ChangeAction, ObjectChange
from clientela.core.search import Doc
from clientela.imports.models import Effect, Entity, FieldProvenance, ImportJob, SourceRecord
from clientela.imports.party_rows import CONTACT_LOGGED, SETTABLE, PartyDraft
from clientela.parties.choices import PHONE_KINDS, ContactKind
from clientela.parties.models import ContactPoint, Party, SourceLink
from clientela.parties.search import documents_for


@dataclass
class Item:
    """One prepared row of the chunk."""

    row: Any
    draft: Any  # a PartyDraft or an InteractionDraft, as the job's records are
    external_id: str  # the source's id, or a digest-based one for rows without it
    digest: str
    raw: dict[str, Any]
    raw_json: str = ""  # ``raw`` as JSON text, made by the reader process for the bulk writers
    record: SourceRecord | None = None
    party_id: int | None = None
    doc: Doc | None = None  # a new customer's search document, built with the draft (see draft_document)
    snapshots: list[str] | None = None  # its change-log values as JSON text (see draft_snapshots)


def _keys(draft: PartyDraft) -> list[tuple[str, str]]:
    keys = []
    if draft.party.tax_id:
        keys.append(("tax", draft.party.tax_id))
    for _column, cp in draft.contacts:
        if cp.kind == ContactKind.EMAIL:
            keys.append(("email", cp.normalized))
        elif cp.kind in PHONE_KINDS:
            keys.append(("phone", cp.normalized))
    return keys


def existing_matches(items: Sequence[Item], job: ImportJob) -> dict[int, int]:
    """Index in ``items`` -> id of the live customer the row already is (by link, tax id, email, phone)."""
    ext = [i.draft.external_id for i in items if i.draft.external_id]
    linked = dict(
        SourceLink.objects.filter(source=job.source, external_id__in=ext, party__deleted_at__isnull=True)
        .values_list("external_id", "party_id")
    ) if ext else {}  # fmt: skip
    taxes = [i.draft.party.tax_id for i in items if i.draft.party.tax_id]
    by_tax: dict[str, int] = {}
    if taxes:
        for tax, pk in Party.objects.filter(tax_id__in=taxes).order_by("-pk").values_list("tax_id", "pk"):
            by_tax[tax] = pk  # the oldest customer with the id wins, as in the row-by-row path
    values = {v for i in items for kind, v in _keys(i.draft) if kind != "tax"}
    by_contact: dict[tuple[str, str], int] = {}
    if values:
        rows = (
            # the kinds lead the (kind, normalized) index: without them the lookup reads every contact point
            ContactPoint.objects.filter(
                kind__in=[ContactKind.EMAIL, *PHONE_KINDS],
                normalized__in=values,
                deleted_at__isnull=True,
                party__deleted_at__isnull=True,
            )
            .order_by("-party_id")
            .values_list("kind", "normalized", "party_id")
        )
        for kind, normalized, party_id in rows:
            if kind == ContactKind.EMAIL:
                by_contact[("email", normalized)] = party_id
            elif kind in PHONE_KINDS:
                by_contact[("phone", normalized)] = party_id
    found: dict[int, int] = {}
    for n, item in enumerate(items):
        draft = item.draft
        if draft.external_id and draft.external_id in linked:
            found[n] = linked[draft.external_id]
            continue
        for kind, value in _keys(draft):
            pk = by_tax.get(value) if kind == "tax" else by_contact.get((kind, value))
            if pk is not None:
                found[n] = pk
                break
    return found


def split_new(items: Sequence[Item], found: dict[int, int]) -> tuple[list[Item], list[Item]]:
    """(rows that are new customers, rows for the row-by-row path): a row that names the same tax id,
    email or phone as an earlier new row of the chunk goes row by row, after the new ones exist."""
    new: list[Item] = []
    later: list[Item] = []
    seen: set[tuple[str, str]] = set()
    seen_ids: set[str] = set()
    for n, item in enumerate(items):
        keys = set(_keys(item.draft))
        if n in found or keys & seen or (item.draft.external_id and item.draft.external_id in seen_ids):
            later.append(item)
            continue
        seen |= keys
        if item.draft.external_id:
            seen_ids.add(item.draft.external_id)
        new.append(item)
    return new, later


PARTY_COLUMNS = ("kind", "status", "given_names", "family_name_1", "family_name_2", "legal_name", "trade_name",
                 "display_name", "name_folded", "tax_id", "country", "birth_date", "language", "notes", "owner",
                 "created_by")  # fmt: skip
CONTACT_COLUMNS = ("party", "kind", "label", "is_primary", "value", "normalized", "social_network", "street",
                   "postal_code", "city", "region", "country", "source")  # fmt: skip
CHANGE_COLUMNS = ("actor_user", "actor_token_id", "actor_label", "source", "request_id", "object_type", "object_id",
                  "object_repr", "aggregate_id", "new_value")  # fmt: skip
EFFECT_COLUMNS = ("job", "model", "object_id", "action", "before")
RECORD_COLUMNS = ("source", "entity", "external_id", "raw", "digest", "party", "first_job", "last_job")


def insert_effects(effects: Sequence[Effect | tuple[Any, ...]]) -> None:
    """Write undo effects: ``Effect`` instances from the row-by-row paths, plain tuples
    ``(job id, model, object id, action, before)`` from the bulk ones (cheaper by the hundred thousand)."""
    rows = [
        e if isinstance(e, tuple) else (e.job_id, e.model, e.object_id, e.action, e.before) for e in effects
    ]
    TableWriter(Effect, EFFECT_COLUMNS).insert(rows)


def insert_new(items: Sequence[Item], *, job: ImportJob, actor: Actor, effects: list[Any],
               tags: Callable[[Party, list[str]], Any]) -> list[Doc]:  # fmt: skip
    """Create the customers of ``items`` with everything that goes with them; sets ``item.party_id``.
    Returns their search documents, built from the drafts (usually by the reader process already)
    rather than read back.

    Only the customers and their contact points exist as model instances (validation built them); the
    other rows go to the database as plain tuples, which at this volume is most of the time saved."""
    parties = []
    for item in items:
        party = item.draft.party
        party.created_by = actor.user
        parties.append(party)
    insert_instances(Party, parties, PARTY_COLUMNS)
    points: list[ContactPoint] = []
    links: list[tuple[Any, ...]] = []
    records: list[tuple[Any, ...]] = []
    provenance: list[tuple[Any, ...]] = []
    changes: list[tuple[Any, ...]] = []
    snapshots: list[str] = []  # of the contact points, in their order
    user_id = actor.user.pk if actor.user is not None else None
    base = (user_id, actor.token_id, actor.display[:150], actor.source, actor.request_id[:64])
    party_type = ContentType.objects.get_for_model(Party).pk
    point_type = ContentType.objects.get_for_model(ContactPoint).pk
    for item, party in zip(items, parties, strict=True):
        item.party_id = party.pk
        if item.draft.tags:
            tags(party, item.draft.tags)
        party_snapshot, *point_snapshots = item.snapshots or draft_snapshots(item.draft)
        changes.append((*base, party_type, party.pk, party.display_name[:200], party.pk, party_snapshot))
        provenance.extend((party.pk, f, job.source_id, job.pk) for f in SETTABLE if getattr(party, f))
        for (cp, primary), snapshot in zip(unique_contacts(item.draft), point_snapshots, strict=True):
            cp.party_id = party.pk  # the id alone: the relation's descriptor costs more than the insert
            cp.is_primary = primary
            points.append(cp)
            snapshots.append(snapshot)
        if item.draft.external_id:
            links.append((job.source_id, item.draft.external_id, party.pk, user_id))
        records.append((job.source_id, Entity.PARTIES, item.external_id, raw_json(item), item.digest, party.pk,
                        job.pk, job.pk))  # fmt: skip
    insert_instances(ContactPoint, points, CONTACT_COLUMNS)
    link_ids = TableWriter(SourceLink, ("source", "external_id", "party", "created_by")).insert(
        links, returning=True
    )
    record_ids = TableWriter(SourceRecord, RECORD_COLUMNS, prepared=("raw",)).insert(records, returning=True)
    TableWriter(FieldProvenance, ("party", "field", "source", "job")).insert(provenance)
    for cp, snapshot in zip(points, snapshots, strict=True):
        changes.append((*base, point_type, cp.pk, cp.value[:200], cp.party_id, snapshot))
    TableWriter(ObjectChange, CHANGE_COLUMNS, prepared=("new_value",), fixed={
        "aggregate_type": "parties.party", "action": ChangeAction.CREATE, "field": ""}).insert(changes)  # fmt: skip
    # Undo walks effects newest first: records and links go before the customers they point at. A new
    # customer's contact points need no effect of their own: they stay with it in the recycle bin.
    effects.extend((job.pk, "parties.party", p.pk, "create", None) for p in parties)
    effects.extend((job.pk, "parties.sourcelink", pk, "create", None) for pk in link_ids)
    effects.extend((job.pk, "imports.sourcerecord", pk, "create", None) for pk in record_ids)
    return [
        replace(item.doc or draft_document(item.draft), id=party.pk)
        for item, party in zip(items, parties, strict=True)
    ]


def unique_contacts(draft: PartyDraft) -> Iterator[tuple[ContactPoint, bool]]:
    """The draft's contact points a new customer gets, each with whether it is the first (primary) of
    its kind: a value the row gives twice (email and email_2 alike) is kept once."""
    kinds: set[str] = set()
    have: set[tuple[str, str]] = set()
    for _column, cp in draft.contacts:
        if (cp.kind, cp.normalized) in have:
            continue
        have.add((cp.kind, cp.normalized))
        yield cp, cp.kind not in kinds
        kinds.add(cp.kind)


def draft_snapshots(draft: PartyDraft) -> list[str]:
    """What the change log records of a new customer made from ``draft``, as JSON text: the customer's
    values, then each contact point's (in ``unique_contacts`` order). Like the search document, worked
    out with the draft where the row is validated."""
    party = draft.party
    # to_json only for what JSON cannot write as it is (a birth date): the same text, without walking
    # every value in Python
    out = [json.dumps({name: getattr(party, name) for name in ("kind", *SETTABLE, "display_name")},
                      default=to_json)]  # fmt: skip
    for cp, primary in unique_contacts(draft):
        values = {name: getattr(cp, name) for name in CONTACT_LOGGED}
        values["is_primary"] = primary
        out.append(json.dumps(values, default=to_json))
    return out


def raw_json(item: Item) -> str:
    """The row as the source record keeps it, as JSON text (the bulk writers insert it as it is)."""
    return item.raw_json or json.dumps(item.raw)


def draft_document(draft: PartyDraft) -> Doc:
    """The search document ``insert_new`` writes for ``draft`` if it becomes a new customer, with no id
    yet. Built where the row is validated (the reader process of a large import), which takes a sixth
    of the writing process's work off it; built from the same data by the same code as the writer's."""
    rows = [
        (None, cp.kind, cp.normalized, cp.value, primary, cp.city, n)
        for n, (cp, primary) in enumerate(unique_contacts(draft))
    ]
    links = [(None, draft.external_id)] if draft.external_id else []
    return next(documents_for([draft.party], rows, links))
