"""Property: on any small graph of customers, a merge followed by its undo leaves every row as it was.

Each example builds 2-4 parties with clashing primaries, duplicate contact values, relationships among
them (including between the two merged parties and self-links), interactions whose party and organisation
point at them, tags, source links, source records and provenance; snapshots every row of Party and of
every model the reference registry discovers; merges a random pair with random field choices; undoes it;
and compares the snapshots column by column. Columns that legitimately change are left out of the
snapshot (``conftest.VOLATILE``: ``version``, which grows on every change because it backs ETags, and
``updated_at``, which moves with it; ``PartyStats.updated_at`` as well, the figures being recomputed).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientela.core.models import SourceSystem
from clientela.core.text import fold
from clientela.identity.keys import match_keys_refresh
from clientela.identity.models import Merge
from clientela.identity.services import party_merge, party_unmerge
from clientela.identity.tests.conftest import diff, snapshot
from clientela.imports.models import FieldProvenance, SourceRecord
from clientela.interactions.models import Interaction
from clientela.interactions.stats import party_stats_refresh
from clientela.parties.models import ContactPoint, Party, Relationship, SourceLink, Tag
from clientela.testing.factories import actor_for

pytestmark = pytest.mark.django_db

FIELDS = ("given_names", "tax_id", "country", "notes")
TAGS = ("vip", "web", "norte")


class _Rollback(Exception):
    """Raised at the end of an example so its rows go away with the savepoint."""


party_st = st.fixed_dictionaries(
    {
        "given_names": st.sampled_from(["Ana", "Anna", ""]),
        "tax_id": st.sampled_from(["", "X1", "X2"]),
        "country": st.sampled_from(["", "ES", "FR"]),
        "notes": st.sampled_from(["", "a note"]),
        "tags": st.sets(st.sampled_from(TAGS), max_size=3),
    }
)
contact_st = st.tuples(
    st.integers(0, 3),  # party index
    st.sampled_from(["email", "mobile"]),
    st.integers(0, 2),  # value: the same index on two parties is a duplicate value
    st.booleans(),  # primary (only the first primary of a kind on a party keeps it)
    st.booleans(),  # removed (soft-deleted)
)
graph_st = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["person", "organisation"]),
        "parties": st.lists(party_st, min_size=2, max_size=4),
        "contacts": st.lists(contact_st, max_size=8),
        "relationships": st.lists(
            st.tuples(st.integers(0, 3), st.integers(0, 3), st.sampled_from(["", "CEO"]), st.booleans()),
            max_size=5,
        ),
        "interactions": st.lists(
            st.tuples(st.integers(0, 3), st.one_of(st.none(), st.integers(0, 3)), st.booleans()),
            max_size=6,
        ),
        "links": st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1), st.integers(0, 3)), max_size=5),
        "records": st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), max_size=3),
        "provenance": st.lists(
            st.tuples(st.integers(0, 3), st.sampled_from(FIELDS), st.integers(0, 1)), max_size=6
        ),
        "pair": st.tuples(st.integers(0, 3), st.integers(0, 3)),
        "choices": st.dictionaries(st.sampled_from(FIELDS), st.sampled_from(["survivor", "merged"])),
    }
)


def _build(graph: dict, owner) -> list[Party]:
    n = len(graph["parties"])
    sources = [SourceSystem.objects.create(slug=f"s{i}", name=f"S{i}") for i in range(2)]
    tags = {key: Tag.objects.create(key=key, name=key.upper()) for key in TAGS}
    parties = []
    for data in graph["parties"]:
        names = {"given_names": data["given_names"], "family_name_1": "García"}
        if graph["kind"] == "organisation":
            names = {"legal_name": f"{data['given_names']} S.L.", "trade_name": data["given_names"]}
        party = Party(kind=graph["kind"], owner=owner, **{k: data[k] for k in FIELDS[1:]}, **names)
        party.display_name = party.derived_display_name() or "?"
        party.name_folded = fold(party.display_name)
        party.save()
        party.tags.set([tags[t] for t in data["tags"]])
        parties.append(party)
    primaries: set[tuple[int, str]] = set()
    for i, kind, value, primary, removed in graph["contacts"]:
        i %= n
        primary = primary and not removed and (i, kind) not in primaries
        if primary:
            primaries.add((i, kind))
        normalized = f"e{value}@example.com" if kind == "email" else f"+3461234567{value}"
        ContactPoint.objects.create(
            party=parties[i],
            kind=kind,
            value=normalized,
            normalized=normalized,
            is_primary=primary,
            deleted_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC) if removed else None,
        )
    for i, j, role, primary in graph["relationships"]:
        Relationship.objects.create(
            person=parties[i % n], organisation=parties[j % n], role=role, is_primary=primary
        )
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    for k, (i, j, purchase) in enumerate(graph["interactions"]):
        Interaction.objects.create(
            kind="purchase" if purchase else "note",
            channel="web",
            direction="in",
            occurred_at=start + dt.timedelta(days=k),
            party=parties[i % n],
            organisation=None if j is None else parties[j % n],
            source=sources[0],
            amount=Decimal("10.00") if purchase else None,
            currency="EUR" if purchase else "",
        )
    seen: set[tuple[int, int]] = set()
    for i, s, ext in graph["links"]:
        if (s, ext) not in seen:  # (source, external id) is unique across parties
            seen.add((s, ext))
            SourceLink.objects.create(source=sources[s], external_id=f"E{ext}", party=parties[i % n])
    for i, ext in {ext: (i, ext) for i, ext in graph["records"]}.values():
        SourceRecord.objects.create(
            source=sources[0], entity="parties", external_id=f"R{ext}", digest="d", party=parties[i % n]
        )
    for (i, field), s in {((i % n), f): s for i, f, s in graph["provenance"]}.items():
        FieldProvenance.objects.create(party=parties[i], field=field, source=sources[s])
    party_stats_refresh([p.pk for p in parties])  # as the interaction services keep them
    return parties


@settings(
    max_examples=30,
    deadline=None,
    database=None,  # no .hypothesis directory in the checkout
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(graph=graph_st)
def test_merge_then_unmerge_changes_nothing(admin_user, graph):
    actor = actor_for(admin_user)
    try:
        with transaction.atomic():
            parties = _build(graph, admin_user)
            n = len(parties)
            s, m = graph["pair"][0] % n, graph["pair"][1] % n
            if s == m:
                m = (s + 1) % n
            # the graph was written row by row, past the services that keep blocking keys current
            match_keys_refresh([p.pk for p in parties])
            before = snapshot()
            merge = party_merge(
                actor=actor, survivor=parties[s], merged=parties[m], field_choices=graph["choices"]
            )
            party_unmerge(actor=actor, merge=Merge.objects.get(pk=merge.pk))
            assert diff(before, snapshot()) == []
            raise _Rollback
    except _Rollback:
        pass
