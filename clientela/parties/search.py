"""The party search index: what of a customer is searchable, and the global search read.

Name words (person names, legal and trade names), contact values (normalised emails, phone digits as
E.164 and as the national number, so "612 34 56 78", "+34612345678" and "0034 612-345-678" all match),
and identifiers (tax id and the party's ids in other systems, ``SourceLink``), without separators.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

from clientela.core.permissions import Action, Scope, user_scope
from clientela.core.search import Doc, Hit, SearchIndex, ident_key, values_text, words_text
from clientela.parties.changed import parties_changed
from clientela.parties.choices import PHONE_KINDS, ContactKind
from clientela.parties.models import ContactPoint, Party, SourceLink

PARTY_INDEX = SearchIndex("party_search")
_CONTACT_KINDS = frozenset([ContactKind.EMAIL, *PHONE_KINDS])
_CARD_PHONES = frozenset([ContactKind.MOBILE, ContactKind.LANDLINE])


def national_digits(e164: str) -> str:
    """The national significant number of an E.164 string, without parsing (fast enough for bulk rebuilds)."""
    digits = e164.lstrip("+")
    for size in (1, 2, 3):
        if int(digits[:size] or 0) in COUNTRY_CODE_TO_REGION_CODE:
            return digits[size:]
    return digits


@dataclass(frozen=True)
class Card:
    """What a search result shows of a customer, stored in the index beside the searchable text.

    Kept with the document so a search answers from the index alone (reading the parties and their
    contact points back cost several times the search itself); the services refresh a party's document,
    card included, whenever its name, tax id or contact points change.
    """

    pk: int
    kind: str
    display_name: str
    tax_id: str = ""
    email: str = ""
    phone: str = ""  # E.164
    city: str = ""

    @classmethod
    def parse(cls, pk: int, text: str) -> Card | None:
        try:
            data = json.loads(text) if text else None
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        return cls(
            pk=pk,
            kind=str(data.get("k", "")),
            display_name=str(data.get("n", "")),
            tax_id=str(data.get("t", "")),
            email=str(data.get("e", "")),
            phone=str(data.get("p", "")),
            city=str(data.get("c", "")),
        )


def card_text(party: Any, primary: dict[str, str]) -> str:
    data = {"k": party.kind, "n": party.display_name, "t": party.tax_id, **primary}
    return json.dumps({k: v for k, v in data.items() if v}, ensure_ascii=False, separators=(",", ":"))


def _doc(
    party: Any,
    contacts: list[tuple[str, str]],
    external_ids: list[str],
    primary: dict[str, str] | None = None,
) -> Doc:
    values: list[str] = []
    for kind, normalized in contacts:
        if kind == ContactKind.EMAIL:
            values.append(normalized)
        else:
            values.extend([normalized.lstrip("+"), national_digits(normalized)])
    return Doc(
        id=party.pk,
        name=words_text(
            party.display_name,
            party.given_names,
            party.family_name_1,
            party.family_name_2,
            party.legal_name,
            party.trade_name,
        ),
        contact=values_text(*values),
        ids=values_text(*(ident_key(v) for v in (party.tax_id, *external_ids))),
        card=card_text(party, primary or {}),
    )


def documents_for(
    parties: Iterable[Any],
    contact_rows: Iterable[tuple[int | None, str, str, str, bool, str, int]],
    link_rows: Iterable[tuple[int | None, str]],
) -> Iterator[Doc]:
    """Search documents of ``parties`` from their live contact points ``(party id, kind, normalized,
    value, is primary, city, id)`` and source links ``(party id, external id)``: read from the database,
    or, for customers an import is about to create, straight from their drafts (party id None)."""
    contacts: dict[int | None, list[tuple[str, str]]] = defaultdict(list)
    # the card shows each party's primary email, phone and city (the oldest primary one of each)
    primary: dict[int | None, dict[str, tuple[int, str]]] = defaultdict(dict)
    for party_id, kind, normalized, value, is_primary, city, cp_id in contact_rows:
        if normalized and kind in _CONTACT_KINDS:
            contacts[party_id].append((kind, normalized))
        if not is_primary:
            continue
        if kind == ContactKind.EMAIL and value:
            slot, shown = "e", value
        elif kind in _CARD_PHONES and normalized.startswith("+"):
            slot, shown = "p", normalized
        elif kind == ContactKind.ADDRESS and city:
            slot, shown = "c", city
        else:
            continue
        if slot not in primary[party_id] or cp_id < primary[party_id][slot][0]:
            primary[party_id][slot] = (cp_id, shown)
    external: dict[int | None, list[str]] = defaultdict(list)
    for party_id, external_id in link_rows:
        external[party_id].append(external_id)
    for p in parties:
        card = {slot: v for slot, (_id, v) in primary.get(p.pk, {}).items()}
        yield _doc(p, contacts.get(p.pk, []), external.get(p.pk, []), card)


def party_documents(ids: Iterable[int] | None = None, *, chunk: int = 5000) -> Iterator[Doc]:
    """Search documents for the live parties ``ids`` (all when None), streamed in id order."""
    fields = (
        "pk",
        "kind",
        "display_name",
        "given_names",
        "family_name_1",
        "family_name_2",
        "legal_name",
        "trade_name",
        "tax_id",
    )
    wanted = sorted(set(ids)) if ids is not None else None
    last = 0
    while True:
        qs = Party.objects.order_by("pk").only(*fields)
        if wanted is not None:
            batch_ids = [i for i in wanted if i > last][:chunk]
            if not batch_ids:
                return
            qs = qs.filter(pk__in=batch_ids)
        else:
            qs = qs.filter(pk__gt=last)
        parties = list(qs[:chunk])
        if not parties:
            return
        # The kind is checked in Python (documents_for), not in SQL: with "kind IN (...)" SQLite plans a
        # walk of the whole (kind, value) index instead of the party index (17 s a chunk at 3M points).
        rows = ContactPoint.objects.filter(
            party_id__in=[p.pk for p in parties], deleted_at__isnull=True
        ).values_list("party_id", "kind", "normalized", "value", "is_primary", "city", "id")
        links = SourceLink.objects.filter(party_id__in=[p.pk for p in parties]).values_list(
            "party_id", "external_id"
        )
        yield from documents_for(parties, rows, links)
        last = parties[-1].pk


def party_index_refresh(ids: Iterable[int]) -> None:
    """Re-index these parties (drops the ones that are deleted); called by services inside their transaction."""
    ids = set(ids)
    docs = list(party_documents(ids))
    PARTY_INDEX.delete(sorted(ids - {d.id for d in docs}))
    PARTY_INDEX.upsert(docs)
    parties_changed(sorted(ids))


def party_index_write(docs: Iterable[Doc]) -> None:
    """Index documents the caller built (``documents_for``) for customers it has just created."""
    docs = list(docs)
    PARTY_INDEX.upsert(docs)
    parties_changed([d.id for d in docs])


def party_index_rebuild(progress: Any = None, *, notify: bool = True) -> int:
    """Rebuild the whole party index (after bulk loads). ``notify=False`` in migrations: the listeners'
    own tables and the task queue may not exist yet at that point of the migration plan."""
    count = PARTY_INDEX.rebuild(party_documents(), progress=progress)
    if notify:
        parties_changed(None)
    return count


def party_search(*, user: Any, q: str, limit: int = 20) -> list[tuple[Card, Hit]]:
    """Global customer search: ranked, restricted to what ``user`` may see, each hit with its card."""

    def visible(ids: list[int]) -> set[int]:
        return set(Party.objects.restrict(user, Action.VIEW).filter(pk__in=ids).values_list("pk", flat=True))

    # The index holds live parties only, so a user who sees every record needs no check per stage.
    everything = user_scope(user, Party.permission_object, Action.VIEW) == Scope.ALL
    hits = PARTY_INDEX.search(
        q, limit=limit, visible=None if everything else visible, region=settings.CLIENTELA_DEFAULT_REGION
    )
    out = []
    for hit in hits:
        card = Card.parse(hit.id, hit.card)
        if card is not None:
            out.append((card, hit))
    return out
